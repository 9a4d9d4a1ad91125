/// An open-addressing hash table from byte strings to small integers.
///
/// Looks up a field's raw bytes without building a `String` or an `Array`: the scoring loop maps a
/// category's bytes to its level this way. Each slot holds its key's words, length, salt and value
/// (and where the key's bytes are, for keys longer than 16 bytes), so a hit reads one slot and
/// nothing else.
public struct ByteKeyTable: Sendable {
    @usableFromInline struct Slot: Sendable {
        /// The key's `words`: for keys of up to 16 bytes, equal words and length are equal keys.
        @usableFromInline var words: (UInt64, UInt64)
        /// −1 for an empty slot.
        @usableFromInline var length: Int
        @usableFromInline var salt: Int
        @usableFromInline var value: Int
        /// Where the key's bytes start in `keyBytes`.
        @usableFromInline var start: Int

        @usableFromInline static let empty = Slot(words: (0, 0), length: -1, salt: 0, value: 0, start: 0)
    }

    @usableFromInline var slots: [Slot]
    @usableFromInline var keyBytes: [UInt8] = []
    /// `slots.count − 1` (a power of two minus one) and the shift that keeps a hash's top bits for it.
    @usableFromInline var mask: Int
    @usableFromInline var shift: UInt64
    public private(set) var count = 0

    public init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: .empty, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

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

    /// A hash of the key and its salt, of which the slot index takes the top bits (a multiply
    /// carries every input bit into them): the two words, each times an odd constant, the length and
    /// the salt added to the second; past 16 bytes, the words between are folded in one by one. The
    /// salt keeps the keys of different columns apart in one shared table.
    @inlinable @inline(__always)
    static func hash(_ key: UnsafeBufferPointer<UInt8>, words: (UInt64, UInt64), salt: Int = 0) -> UInt64 {
        let k0: UInt64 = 0x9E37_79B9_7F4A_7C15, k1: UInt64 = 0xBF58_476D_1CE4_E5B9
        let tail = words.1 ^ UInt64(truncatingIfNeeded: key.count) ^ (UInt64(truncatingIfNeeded: salt) &* k0) << 8
        var h = (words.0 &* k0) ^ (tail &* k1)
        if key.count > 16, let base = key.baseAddress {
            var i = 8
            while i + 8 <= key.count - 8 {
                h = (h ^ h >> 31 ^ UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))) &* k0
                i += 8
            }
        }
        return h
    }

    static func hash(_ key: UnsafeBufferPointer<UInt8>, salt: Int = 0) -> UInt64 {
        hash(key, words: words(key), salt: salt)
    }

    /// The value stored for `key`, or nil.
    @inlinable @inline(__always)
    public func value(for key: UnsafeBufferPointer<UInt8>, salt: Int = 0) -> Int? {
        let w = ByteKeyTable.words(key)
        var slot = Int(truncatingIfNeeded: ByteKeyTable.hash(key, words: w, salt: salt) >> shift)
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let s = slots.baseAddress! + slot
                if s.pointee.length == key.count && s.pointee.words == w && s.pointee.salt == salt
                    && (key.count <= 16 || keyBytes.withUnsafeBufferPointer { memcmpEqual($0.baseAddress! + s.pointee.start, key) }) {
                    return s.pointee.value
                }
                if s.pointee.length < 0 { return nil }
                slot = (slot + 1) & mask
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
        var slot = Int(truncatingIfNeeded: h >> shift)
        while slots[slot].length >= 0 {
            let s = slots[slot]
            if s.salt == salt && s.length == bytes.count && keyBytes[s.start..<(s.start + s.length)].elementsEqual(bytes) {
                slots[slot].value = value
                return
            }
            slot = (slot + 1) & mask
        }
        slots[slot] = Slot(words: w, length: bytes.count, salt: salt, value: value, start: keyBytes.count)
        keyBytes.append(contentsOf: bytes)
        count += 1
        if count * 2 > slots.count { grow() }
    }

    private mutating func grow() {
        let old = slots.filter { $0.length >= 0 }
        let size = slots.count * 2
        slots = Array(repeating: .empty, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
        keyBytes.withUnsafeBufferPointer { bytes in
            for s in old {
                let key = UnsafeBufferPointer(rebasing: bytes[s.start..<(s.start + s.length)])
                var slot = Int(truncatingIfNeeded: ByteKeyTable.hash(key, words: s.words, salt: s.salt) >> shift)
                while slots[slot].length >= 0 { slot = (slot + 1) & mask }
                slots[slot] = s
            }
        }
    }
}

@inlinable @inline(__always)
func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    for i in 0..<b.count where a[i] != b[i] { return false }
    return true
}
