/// An open-addressing hash table from byte strings to small integers.
///
/// Looks up a field's raw bytes without building a `String` or an `Array`: the scoring loop maps a
/// category's bytes to its level this way. Keys are stored back to back in one buffer; each entry
/// (hash, salt, key position, value) sits in one array, so a hit touches one slot, one entry and
/// the key bytes.
public struct ByteKeyTable: Sendable {
    @usableFromInline struct Entry: Sendable {
        @usableFromInline var hash: UInt64
        /// The key's `words`: for keys of up to 16 bytes, equal words and length are equal keys.
        @usableFromInline var words: (UInt64, UInt64)
        @usableFromInline var salt: Int
        @usableFromInline var start: Int
        @usableFromInline var length: Int
        @usableFromInline var value: Int

        @usableFromInline
        init(hash: UInt64, words: (UInt64, UInt64), salt: Int, start: Int, length: Int, value: Int) {
            (self.hash, self.words, self.salt, self.start, self.length, self.value) = (hash, words, salt, start, length, value)
        }
    }

    @usableFromInline var slots: [Int32]          // index into entries, or -1
    @usableFromInline var entries: [Entry] = []
    @usableFromInline var keyBytes: [UInt8] = []
    @usableFromInline var mask: Int

    public init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: -1, count: size)
        mask = size - 1
    }

    public var count: Int { entries.count }

    /// A key as two words read with at most four loads and no loop (lead categories are short
    /// words): its first and last eight bytes from 8 bytes on, its first and last four from 4, its
    /// first, middle and last byte below. Among keys of one length up to 16 bytes the words cover
    /// every byte, so they tell the keys apart; longer keys are compared byte by byte as well.
    @inlinable @inline(__always)
    static func words(_ key: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        let n = key.count
        guard n > 0, let p = key.baseAddress else { return (0, 0) }
        let raw = UnsafeRawPointer(p)
        if n >= 8 {
            return (UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)),
                    UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)))
        }
        if n >= 4 {
            return (UInt64(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
                        | UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))) << 32, 0)
        }
        return (UInt64(p[0]) | UInt64(p[n >> 1]) << 8 | UInt64(p[n - 1]) << 16, 0)
    }

    /// A hash of the key and its salt: the two words (and, past 16 bytes, the words between), with a
    /// final mix so the low bits used for the slot are well spread. The salt keeps the keys of
    /// different columns apart in one shared table.
    @inlinable @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>, words: (UInt64, UInt64), salt: Int = 0) -> UInt64 {
        let k: UInt64 = 0x9E37_79B9_7F4A_7C15
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ (UInt64(truncatingIfNeeded: salt) &* k) ^ UInt64(key.count)
        h = (h ^ words.0) &* k
        h ^= h >> 31
        h = (h ^ words.1) &* k
        if key.count > 16, let base = key.baseAddress {
            var i = 8
            while i + 8 <= key.count - 8 {
                h ^= h >> 31
                h = (h ^ UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))) &* k
                i += 8
            }
        }
        h ^= h >> 29
        h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 32
        return h
    }

    static func hash(_ key: UnsafeBufferPointer<UInt8>, salt: Int = 0) -> UInt64 {
        hash(key, words: words(key), salt: salt)
    }

    /// The value stored for `key`, or nil.
    @inlinable @inline(__always)
    public func value(for key: UnsafeBufferPointer<UInt8>, salt: Int = 0) -> Int? {
        let w = ByteKeyTable.words(key)
        let h = ByteKeyTable.hash(key, words: w, salt: salt)
        return slots.withUnsafeBufferPointer { slots in
            entries.withUnsafeBufferPointer { entries in
                var slot = Int(truncatingIfNeeded: h) & mask
                while true {
                    let e = Int(slots[slot])
                    if e < 0 { return nil }
                    if entries[e].words == w && entries[e].length == key.count && entries[e].salt == salt
                        && (key.count <= 16 || keyBytes.withUnsafeBufferPointer { memcmpEqual($0.baseAddress! + entries[e].start, key) }) {
                        return entries[e].value
                    }
                    slot = (slot + 1) & mask
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
        let w = bytes.withUnsafeBufferPointer { ByteKeyTable.words($0) }
        let h = bytes.withUnsafeBufferPointer { ByteKeyTable.hash($0, words: w, salt: salt) }
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
        entries.append(Entry(hash: h, words: w, salt: salt, start: keyBytes.count, length: bytes.count, value: value))
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

@inlinable @inline(__always)
func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    for i in 0..<b.count where a[i] != b[i] { return false }
    return true
}
