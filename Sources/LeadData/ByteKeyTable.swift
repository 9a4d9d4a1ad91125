/// An open-addressing hash table from byte strings to small integers.
///
/// Looks up a field's raw bytes without building a `String` or an `Array`: the scoring loop maps a
/// category's bytes to its level this way. Keys are stored back to back in one buffer; each entry
/// (hash, salt, key position, value) sits in one array, so a hit touches one slot, one entry and
/// the key bytes.
public struct ByteKeyTable: Sendable {
    private struct Entry: Sendable {
        var hash: UInt64
        var salt: Int
        var start: Int
        var length: Int
        var value: Int
    }

    private var slots: [Int32]          // index into entries, or -1
    private var entries: [Entry] = []
    private var keyBytes: [UInt8] = []
    private var mask: Int

    public init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    public var count: Int { entries.count }

    /// A hash of the key and its salt, eight bytes at a time (lead categories are short words), with
    /// a final mix so the low bits used for the slot are well spread. The salt keeps the keys of
    /// different columns apart in one shared table.
    @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>, salt: Int = 0) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ (UInt64(truncatingIfNeeded: salt) &* k) ^ UInt64(key.count)
        let n = key.count
        var i = 0
        if let base = key.baseAddress {
            while i + 8 <= n {
                let w = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
                h = (h ^ w) &* k
                h ^= h >> 31
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* k
        }
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 32
        return h
    }

    /// The value stored for `key`, or nil.
    @inline(__always)
    public func value(for key: UnsafeBufferPointer<UInt8>, salt: Int = 0) -> Int? {
        let h = ByteKeyTable.hash(key, salt: salt)
        return slots.withUnsafeBufferPointer { slots in
            entries.withUnsafeBufferPointer { entries in
                keyBytes.withUnsafeBufferPointer { bytes in
                    var slot = Int(truncatingIfNeeded: h) & mask
                    while true {
                        let e = Int(slots[slot])
                        if e < 0 { return nil }
                        let entry = entries[e]
                        if entry.hash == h && entry.salt == salt && entry.length == key.count
                            && (key.count == 0 || memcmpEqual(bytes.baseAddress! + entry.start, key)) {
                            return entry.value
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
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
            let entry = entries[e]
            if entry.hash == h && entry.salt == salt && entry.length == bytes.count
                && keyBytes[entry.start..<(entry.start + entry.length)].elementsEqual(bytes) {
                entries[e].value = value
                return
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(entries.count)
        entries.append(Entry(hash: h, salt: salt, start: keyBytes.count, length: bytes.count, value: value))
        keyBytes.append(contentsOf: bytes)
        if entries.count * 2 > slots.count { grow() }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = Array(repeating: -1, count: size)
        mask = size - 1
        for e in entries.indices {
            var slot = Int(truncatingIfNeeded: entries[e].hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(e)
        }
    }
}

@inline(__always)
private func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    for i in 0..<b.count where a[i] != b[i] { return false }
    return true
}
