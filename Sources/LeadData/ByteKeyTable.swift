/// An open-addressing hash table from byte strings to small integers.
///
/// Looks up a field's raw bytes without building a `String` or an `Array`: the scoring loop maps a
/// category's bytes to its level this way. Keys are stored back to back in one buffer.
public struct ByteKeyTable: Sendable {
    private var slots: [Int32]          // index into entries, or -1
    private var keyStarts: [Int] = []
    private var keyEnds: [Int] = []
    private var values: [Int] = []
    private var hashes: [UInt64] = []
    private var salts: [Int] = []
    private var keyBytes: [UInt8] = []
    private var mask: Int

    public init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    public var count: Int { values.count }

    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>, salt: Int = 0) -> UInt64 {
        // FNV-1a, then a final mix so the low bits used for the slot are well spread. The salt keeps
        // the keys of different columns apart in one shared table.
        var h: UInt64 = 0xcbf29ce484222325 ^ (UInt64(truncatingIfNeeded: salt) &* 0x9E3779B97F4A7C15)
        for b in key { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        h ^= h >> 29
        h = h &* 0xbf58476d1ce4e5b9
        h ^= h >> 32
        return h
    }

    /// The value stored for `key`, or nil.
    @inline(__always)
    public func value(for key: UnsafeBufferPointer<UInt8>, salt: Int = 0) -> Int? {
        let h = ByteKeyTable.hash(key, salt: salt)
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[slot])
            if e < 0 { return nil }
            if hashes[e] == h && salts[e] == salt && keyEnds[e] - keyStarts[e] == key.count {
                let equal = keyBytes.withUnsafeBufferPointer { all -> Bool in
                    let stored = UnsafeBufferPointer(rebasing: all[keyStarts[e]..<keyEnds[e]])
                    return key.count == 0 || memcmpEqual(stored, key)
                }
                if equal { return values[e] }
            }
            slot = (slot + 1) & mask
        }
    }

    public func value(for key: String, salt: Int = 0) -> Int? {
        var k = Array(key.utf8)
        return k.withUnsafeMutableBufferPointer { value(for: UnsafeBufferPointer($0), salt: salt) }
    }

    /// Inserts or replaces the value for `key` (within `salt`, e.g. a column index).
    public mutating func set(_ key: String, _ value: Int, salt: Int = 0) {
        let bytes = Array(key.utf8)
        let h = bytes.withUnsafeBufferPointer { ByteKeyTable.hash($0, salt: salt) }
        var slot = Int(truncatingIfNeeded: h) & mask
        while slots[slot] >= 0 {
            let e = Int(slots[slot])
            if hashes[e] == h && salts[e] == salt && Array(keyBytes[keyStarts[e]..<keyEnds[e]]) == bytes {
                values[e] = value
                return
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(values.count)
        keyStarts.append(keyBytes.count)
        keyBytes.append(contentsOf: bytes)
        keyEnds.append(keyBytes.count)
        values.append(value)
        hashes.append(h)
        salts.append(salt)
        if values.count * 2 > slots.count { grow() }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        for e in 0..<values.count {
            var slot = Int(truncatingIfNeeded: hashes[e]) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(e)
        }
    }
}

@inline(__always)
private func memcmpEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    for i in 0..<a.count where a[i] != b[i] { return false }
    return true
}
