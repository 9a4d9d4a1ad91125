import Foundation
import Plot

/// Charts as inline SVG built with Plot's nodes: every label from data goes through `.text`, which
/// escapes it; attribute values are only numbers and constants of this file.
enum SVGChart {
    typealias BodyNode = Node<HTML.BodyContext>

    static let palette = ["#1f5fa8", "#d1495b", "#2e8b57", "#e09f3e", "#6a4c93", "#00798c", "#8d6a9f", "#edae49"]

    struct Series {
        var name: String
        var points: [(x: Double, y: Double)]
        var color: String
        var dots = false
    }

    struct Bar {
        var label: String
        var value: Double
        var text: String
        var color: String = palette[0]
    }

    static func number(_ x: Double) -> String { String(format: "%.2f", x) }

    static func svg(width: Int, height: Int, title: String, _ nodes: [BodyNode]) -> BodyNode {
        .element(named: "svg", nodes: [
            .attribute(named: "viewBox", value: "0 0 \(width) \(height)"),
            .attribute(named: "role", value: "img"),
            .attribute(named: "class", value: "chart"),
            .element(named: "title", nodes: [.text(title)]),
        ] + nodes)
    }

    static func element(_ name: String, _ attributes: [(String, String)], _ children: [BodyNode] = []) -> BodyNode {
        .element(named: name, nodes: attributes.map { BodyNode.attribute(named: $0.0, value: $0.1) } + children)
    }

    static func label(_ text: String, x: Double, y: Double, anchor: String = "start", size: Int = 11, color: String = "#333") -> BodyNode {
        element("text", [("x", number(x)), ("y", number(y)), ("text-anchor", anchor), ("font-size", "\(size)"), ("fill", color)], [.text(text)])
    }

    /// A line chart on [xMin, xMax] × [yMin, yMax] with axes, ticks, a legend and optionally the diagonal.
    static func lines(_ series: [Series], title: String, xLabel: String, yLabel: String, x: ClosedRange<Double>, y: ClosedRange<Double>,
                      diagonal: Bool = false, xTicks: [Double], yTicks: [Double], xFormat: ((Double) -> String)? = nil,
                      tickFormat: (Double) -> String) -> BodyNode {
        let w = 420.0, h = 300.0, left = 48.0, right = 12.0, top = 14.0, bottom = 42.0
        let pw = w - left - right, ph = h - top - bottom
        func px(_ v: Double) -> Double { left + (v - x.lowerBound) / max(x.upperBound - x.lowerBound, 1e-12) * pw }
        func py(_ v: Double) -> Double { top + ph - (v - y.lowerBound) / max(y.upperBound - y.lowerBound, 1e-12) * ph }
        var nodes: [BodyNode] = [element("rect", [("x", number(left)), ("y", number(top)), ("width", number(pw)), ("height", number(ph)), ("fill", "#fafafa"), ("stroke", "#ccc")])]
        for t in xTicks {
            nodes.append(element("line", [("x1", number(px(t))), ("x2", number(px(t))), ("y1", number(top)), ("y2", number(top + ph)), ("stroke", "#e5e5e5")]))
            nodes.append(label(xFormat.map { $0(t) } ?? tickFormat(t), x: px(t), y: top + ph + 14, anchor: "middle", size: 10))
        }
        for t in yTicks {
            nodes.append(element("line", [("x1", number(left)), ("x2", number(left + pw)), ("y1", number(py(t))), ("y2", number(py(t))), ("stroke", "#e5e5e5")]))
            nodes.append(label(tickFormat(t), x: left - 4, y: py(t) + 3, anchor: "end", size: 10))
        }
        if diagonal {
            nodes.append(element("line", [("x1", number(px(x.lowerBound))), ("y1", number(py(y.lowerBound))), ("x2", number(px(x.upperBound))),
                                          ("y2", number(py(y.upperBound))), ("stroke", "#999"), ("stroke-dasharray", "4 3")]))
        }
        for s in series {
            let path = s.points.map { "\(number(px($0.x))),\(number(py($0.y)))" }.joined(separator: " ")
            nodes.append(element("polyline", [("points", path), ("fill", "none"), ("stroke", s.color), ("stroke-width", "2")]))
            if s.dots {
                for p in s.points { nodes.append(element("circle", [("cx", number(px(p.x))), ("cy", number(py(p.y))), ("r", "3"), ("fill", s.color)])) }
            }
        }
        nodes.append(label(xLabel, x: left + pw / 2, y: h - 6, anchor: "middle"))
        nodes.append(element("text", [("x", "0"), ("y", "0"), ("transform", "translate(12 \(number(top + ph / 2))) rotate(-90)"), ("text-anchor", "middle"),
                                      ("font-size", "11"), ("fill", "#333")], [.text(yLabel)]))
        for (i, s) in series.enumerated() where series.count > 1 {
            let ly = top + 12 + Double(i) * 14
            nodes.append(element("rect", [("x", number(left + 8)), ("y", number(ly - 8)), ("width", "10"), ("height", "10"), ("fill", s.color)]))
            nodes.append(label(s.name, x: left + 22, y: ly, size: 10))
        }
        return svg(width: Int(w), height: Int(h), title: title, nodes)
    }

    /// Horizontal bars, one per row, scaled to the largest |value| (negative values drawn leftwards from a middle axis).
    static func bars(_ rows: [Bar], title: String) -> BodyNode {
        let w = 420.0, rowHeight = 22.0, labelWidth = 150.0, textWidth = 70.0
        let h = Double(max(rows.count, 1)) * rowHeight + 8
        let hasNegative = rows.contains { $0.value < 0 }
        let maxValue = max(rows.map { abs($0.value) }.max() ?? 1, 1e-12)
        let plot = w - labelWidth - textWidth
        let zero = hasNegative ? labelWidth + plot / 2 : labelWidth
        let scale = (hasNegative ? plot / 2 : plot) / maxValue
        var nodes: [BodyNode] = []
        for (i, r) in rows.enumerated() {
            let y = 4 + Double(i) * rowHeight
            let length = abs(r.value) * scale
            let x = r.value < 0 ? zero - length : zero
            nodes.append(label(r.label.count > 24 ? String(r.label.prefix(23)) + "…" : r.label, x: labelWidth - 6, y: y + 14, anchor: "end"))
            nodes.append(element("rect", [("x", number(x)), ("y", number(y + 3)), ("width", number(max(length, 0.5))), ("height", number(rowHeight - 7)), ("fill", r.color)]))
            nodes.append(label(r.text, x: w - textWidth + 4, y: y + 14, size: 10))
        }
        nodes.append(element("line", [("x1", number(zero)), ("x2", number(zero)), ("y1", "0"), ("y2", number(h)), ("stroke", "#888")]))
        return svg(width: Int(w), height: Int(h), title: title, nodes)
    }
}
