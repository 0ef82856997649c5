using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OriginGateway.Storage;

/// <summary>
/// MD5 (RFC 1321) of one body being staged, appended to piece by piece: alone (<see cref="Append"/>) or, while other
/// bodies are being hashed at the same moment, side by side with them in the lanes of a vector register
/// (<see cref="Md5Lanes"/>). Both paths share this state, so a body moves between them from one piece to the next.
/// </summary>
internal sealed class Md5State
{
    internal const int BlockSize = 64;

    internal uint A = 0x67452301, B = 0xefcdab89, C = 0x98badcfe, D = 0x10325476;

    /// <summary>Bytes appended so far.</summary>
    internal long Length;

    /// <summary>The start of a block not yet complete (<see cref="TailCount"/> bytes).</summary>
    internal readonly byte[] Tail = new byte[BlockSize];

    internal int TailCount;

    /// <summary>Appends <paramref name="data"/> on the calling thread.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        data = AbsorbTail(data);
        var whole = data.Length & ~(BlockSize - 1);
        Compress(data[..whole]);
        KeepTail(data[whole..]);
    }

    /// <summary>The digest of everything appended; the state is spent.</summary>
    public byte[] Finish()
    {
        var bits = (ulong)Length * 8;
        Span<byte> padding = stackalloc byte[2 * BlockSize];
        padding.Clear();
        padding[0] = 0x80;
        var padded = (TailCount < 56 ? 56 : 120) - TailCount;
        BinaryPrimitives.WriteUInt64LittleEndian(padding[padded..], bits);
        Append(padding[..(padded + 8)]);
        var digest = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(digest, A);
        BinaryPrimitives.WriteUInt32LittleEndian(digest.AsSpan(4), B);
        BinaryPrimitives.WriteUInt32LittleEndian(digest.AsSpan(8), C);
        BinaryPrimitives.WriteUInt32LittleEndian(digest.AsSpan(12), D);
        return digest;
    }

    /// <summary>Completes a started block from the front of <paramref name="data"/>; returns the rest.</summary>
    internal ReadOnlySpan<byte> AbsorbTail(ReadOnlySpan<byte> data)
    {
        Length += data.Length;
        if (TailCount == 0)
        {
            return data;
        }
        var take = Math.Min(BlockSize - TailCount, data.Length);
        data[..take].CopyTo(Tail.AsSpan(TailCount));
        TailCount += take;
        if (TailCount == BlockSize)
        {
            Compress(Tail);
            TailCount = 0;
        }
        return data[take..];
    }

    /// <summary>Keeps the last bytes of a piece (fewer than a block) for the next one.</summary>
    internal void KeepTail(ReadOnlySpan<byte> rest)
    {
        rest.CopyTo(Tail.AsSpan(TailCount));
        TailCount += rest.Length;
    }

    /// <summary>Runs the compression function over whole blocks.</summary>
    // Fully optimised from its first call: tiered compilation would run these loops unoptimised for their first calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Compress(ReadOnlySpan<byte> blocks)
    {
        uint a = A, b = B, c = C, d = D;
        ref var block = ref MemoryMarshal.GetReference(blocks);
        for (var n = blocks.Length / BlockSize; n > 0; n--, block = ref Unsafe.Add(ref block, BlockSize))
        {
            uint a0 = a, b0 = b, c0 = c, d0 = d;
            a = b + BitOperations.RotateLeft(a + 0xd76aa478u + Word(ref block, 0) + (d ^ (b & (c ^ d))), 7);
            d = a + BitOperations.RotateLeft(d + 0xe8c7b756u + Word(ref block, 1) + (c ^ (a & (b ^ c))), 12);
            c = d + BitOperations.RotateLeft(c + 0x242070dbu + Word(ref block, 2) + (b ^ (d & (a ^ b))), 17);
            b = c + BitOperations.RotateLeft(b + 0xc1bdceeeu + Word(ref block, 3) + (a ^ (c & (d ^ a))), 22);
            a = b + BitOperations.RotateLeft(a + 0xf57c0fafu + Word(ref block, 4) + (d ^ (b & (c ^ d))), 7);
            d = a + BitOperations.RotateLeft(d + 0x4787c62au + Word(ref block, 5) + (c ^ (a & (b ^ c))), 12);
            c = d + BitOperations.RotateLeft(c + 0xa8304613u + Word(ref block, 6) + (b ^ (d & (a ^ b))), 17);
            b = c + BitOperations.RotateLeft(b + 0xfd469501u + Word(ref block, 7) + (a ^ (c & (d ^ a))), 22);
            a = b + BitOperations.RotateLeft(a + 0x698098d8u + Word(ref block, 8) + (d ^ (b & (c ^ d))), 7);
            d = a + BitOperations.RotateLeft(d + 0x8b44f7afu + Word(ref block, 9) + (c ^ (a & (b ^ c))), 12);
            c = d + BitOperations.RotateLeft(c + 0xffff5bb1u + Word(ref block, 10) + (b ^ (d & (a ^ b))), 17);
            b = c + BitOperations.RotateLeft(b + 0x895cd7beu + Word(ref block, 11) + (a ^ (c & (d ^ a))), 22);
            a = b + BitOperations.RotateLeft(a + 0x6b901122u + Word(ref block, 12) + (d ^ (b & (c ^ d))), 7);
            d = a + BitOperations.RotateLeft(d + 0xfd987193u + Word(ref block, 13) + (c ^ (a & (b ^ c))), 12);
            c = d + BitOperations.RotateLeft(c + 0xa679438eu + Word(ref block, 14) + (b ^ (d & (a ^ b))), 17);
            b = c + BitOperations.RotateLeft(b + 0x49b40821u + Word(ref block, 15) + (a ^ (c & (d ^ a))), 22);
            a = b + BitOperations.RotateLeft(a + 0xf61e2562u + Word(ref block, 1) + (c ^ (d & (b ^ c))), 5);
            d = a + BitOperations.RotateLeft(d + 0xc040b340u + Word(ref block, 6) + (b ^ (c & (a ^ b))), 9);
            c = d + BitOperations.RotateLeft(c + 0x265e5a51u + Word(ref block, 11) + (a ^ (b & (d ^ a))), 14);
            b = c + BitOperations.RotateLeft(b + 0xe9b6c7aau + Word(ref block, 0) + (d ^ (a & (c ^ d))), 20);
            a = b + BitOperations.RotateLeft(a + 0xd62f105du + Word(ref block, 5) + (c ^ (d & (b ^ c))), 5);
            d = a + BitOperations.RotateLeft(d + 0x02441453u + Word(ref block, 10) + (b ^ (c & (a ^ b))), 9);
            c = d + BitOperations.RotateLeft(c + 0xd8a1e681u + Word(ref block, 15) + (a ^ (b & (d ^ a))), 14);
            b = c + BitOperations.RotateLeft(b + 0xe7d3fbc8u + Word(ref block, 4) + (d ^ (a & (c ^ d))), 20);
            a = b + BitOperations.RotateLeft(a + 0x21e1cde6u + Word(ref block, 9) + (c ^ (d & (b ^ c))), 5);
            d = a + BitOperations.RotateLeft(d + 0xc33707d6u + Word(ref block, 14) + (b ^ (c & (a ^ b))), 9);
            c = d + BitOperations.RotateLeft(c + 0xf4d50d87u + Word(ref block, 3) + (a ^ (b & (d ^ a))), 14);
            b = c + BitOperations.RotateLeft(b + 0x455a14edu + Word(ref block, 8) + (d ^ (a & (c ^ d))), 20);
            a = b + BitOperations.RotateLeft(a + 0xa9e3e905u + Word(ref block, 13) + (c ^ (d & (b ^ c))), 5);
            d = a + BitOperations.RotateLeft(d + 0xfcefa3f8u + Word(ref block, 2) + (b ^ (c & (a ^ b))), 9);
            c = d + BitOperations.RotateLeft(c + 0x676f02d9u + Word(ref block, 7) + (a ^ (b & (d ^ a))), 14);
            b = c + BitOperations.RotateLeft(b + 0x8d2a4c8au + Word(ref block, 12) + (d ^ (a & (c ^ d))), 20);
            a = b + BitOperations.RotateLeft(a + 0xfffa3942u + Word(ref block, 5) + (b ^ c ^ d), 4);
            d = a + BitOperations.RotateLeft(d + 0x8771f681u + Word(ref block, 8) + (a ^ b ^ c), 11);
            c = d + BitOperations.RotateLeft(c + 0x6d9d6122u + Word(ref block, 11) + (d ^ a ^ b), 16);
            b = c + BitOperations.RotateLeft(b + 0xfde5380cu + Word(ref block, 14) + (c ^ d ^ a), 23);
            a = b + BitOperations.RotateLeft(a + 0xa4beea44u + Word(ref block, 1) + (b ^ c ^ d), 4);
            d = a + BitOperations.RotateLeft(d + 0x4bdecfa9u + Word(ref block, 4) + (a ^ b ^ c), 11);
            c = d + BitOperations.RotateLeft(c + 0xf6bb4b60u + Word(ref block, 7) + (d ^ a ^ b), 16);
            b = c + BitOperations.RotateLeft(b + 0xbebfbc70u + Word(ref block, 10) + (c ^ d ^ a), 23);
            a = b + BitOperations.RotateLeft(a + 0x289b7ec6u + Word(ref block, 13) + (b ^ c ^ d), 4);
            d = a + BitOperations.RotateLeft(d + 0xeaa127fau + Word(ref block, 0) + (a ^ b ^ c), 11);
            c = d + BitOperations.RotateLeft(c + 0xd4ef3085u + Word(ref block, 3) + (d ^ a ^ b), 16);
            b = c + BitOperations.RotateLeft(b + 0x04881d05u + Word(ref block, 6) + (c ^ d ^ a), 23);
            a = b + BitOperations.RotateLeft(a + 0xd9d4d039u + Word(ref block, 9) + (b ^ c ^ d), 4);
            d = a + BitOperations.RotateLeft(d + 0xe6db99e5u + Word(ref block, 12) + (a ^ b ^ c), 11);
            c = d + BitOperations.RotateLeft(c + 0x1fa27cf8u + Word(ref block, 15) + (d ^ a ^ b), 16);
            b = c + BitOperations.RotateLeft(b + 0xc4ac5665u + Word(ref block, 2) + (c ^ d ^ a), 23);
            a = b + BitOperations.RotateLeft(a + 0xf4292244u + Word(ref block, 0) + (c ^ (b | ~d)), 6);
            d = a + BitOperations.RotateLeft(d + 0x432aff97u + Word(ref block, 7) + (b ^ (a | ~c)), 10);
            c = d + BitOperations.RotateLeft(c + 0xab9423a7u + Word(ref block, 14) + (a ^ (d | ~b)), 15);
            b = c + BitOperations.RotateLeft(b + 0xfc93a039u + Word(ref block, 5) + (d ^ (c | ~a)), 21);
            a = b + BitOperations.RotateLeft(a + 0x655b59c3u + Word(ref block, 12) + (c ^ (b | ~d)), 6);
            d = a + BitOperations.RotateLeft(d + 0x8f0ccc92u + Word(ref block, 3) + (b ^ (a | ~c)), 10);
            c = d + BitOperations.RotateLeft(c + 0xffeff47du + Word(ref block, 10) + (a ^ (d | ~b)), 15);
            b = c + BitOperations.RotateLeft(b + 0x85845dd1u + Word(ref block, 1) + (d ^ (c | ~a)), 21);
            a = b + BitOperations.RotateLeft(a + 0x6fa87e4fu + Word(ref block, 8) + (c ^ (b | ~d)), 6);
            d = a + BitOperations.RotateLeft(d + 0xfe2ce6e0u + Word(ref block, 15) + (b ^ (a | ~c)), 10);
            c = d + BitOperations.RotateLeft(c + 0xa3014314u + Word(ref block, 6) + (a ^ (d | ~b)), 15);
            b = c + BitOperations.RotateLeft(b + 0x4e0811a1u + Word(ref block, 13) + (d ^ (c | ~a)), 21);
            a = b + BitOperations.RotateLeft(a + 0xf7537e82u + Word(ref block, 4) + (c ^ (b | ~d)), 6);
            d = a + BitOperations.RotateLeft(d + 0xbd3af235u + Word(ref block, 11) + (b ^ (a | ~c)), 10);
            c = d + BitOperations.RotateLeft(c + 0x2ad7d2bbu + Word(ref block, 2) + (a ^ (d | ~b)), 15);
            b = c + BitOperations.RotateLeft(b + 0xeb86d391u + Word(ref block, 9) + (d ^ (c | ~a)), 21);
            a += a0;
            b += b0;
            c += c0;
            d += d0;
        }
        (A, B, C, D) = (a, b, c, d);
    }

    /// <summary>
    /// Runs the compression function over <paramref name="blocks"/> blocks of eight bodies at once, one per lane of a
    /// vector: lane <c>i</c> reads from <c>l</c><i>i</i> (at least that many whole blocks) and updates
    /// <paramref name="states"/>[i].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Compress8(ReadOnlySpan<Md5State> states, ReadOnlySpan<byte> l0, ReadOnlySpan<byte> l1, ReadOnlySpan<byte> l2,
        ReadOnlySpan<byte> l3, ReadOnlySpan<byte> l4, ReadOnlySpan<byte> l5, ReadOnlySpan<byte> l6, ReadOnlySpan<byte> l7, int blocks)
    {
        // Every lane holds the blocks it is asked for: the words are read without further checks.
        var length = blocks * BlockSize;
        if (l0.Length < length || l1.Length < length || l2.Length < length || l3.Length < length || l4.Length < length || l5.Length < length || l6.Length < length || l7.Length < length)
        {
            throw new ArgumentException("A lane holds fewer blocks than asked for.", nameof(blocks));
        }
        Span<Vector256<uint>> words = stackalloc Vector256<uint>[16];
        ref var r0 = ref MemoryMarshal.GetReference(l0);
        ref var r1 = ref MemoryMarshal.GetReference(l1);
        ref var r2 = ref MemoryMarshal.GetReference(l2);
        ref var r3 = ref MemoryMarshal.GetReference(l3);
        ref var r4 = ref MemoryMarshal.GetReference(l4);
        ref var r5 = ref MemoryMarshal.GetReference(l5);
        ref var r6 = ref MemoryMarshal.GetReference(l6);
        ref var r7 = ref MemoryMarshal.GetReference(l7);
        var a = Vector256.Create(states[0].A, states[1].A, states[2].A, states[3].A, states[4].A, states[5].A, states[6].A, states[7].A);
        var b = Vector256.Create(states[0].B, states[1].B, states[2].B, states[3].B, states[4].B, states[5].B, states[6].B, states[7].B);
        var c = Vector256.Create(states[0].C, states[1].C, states[2].C, states[3].C, states[4].C, states[5].C, states[6].C, states[7].C);
        var d = Vector256.Create(states[0].D, states[1].D, states[2].D, states[3].D, states[4].D, states[5].D, states[6].D, states[7].D);
        for (var n = 0; n < blocks; n++)
        {
            var offset = n * BlockSize;
            Transpose(words, 0, Load(ref r0, offset), Load(ref r1, offset), Load(ref r2, offset), Load(ref r3, offset), Load(ref r4, offset), Load(ref r5, offset), Load(ref r6, offset), Load(ref r7, offset));
            Transpose(words, 8, Load(ref r0, offset + 32), Load(ref r1, offset + 32), Load(ref r2, offset + 32), Load(ref r3, offset + 32), Load(ref r4, offset + 32), Load(ref r5, offset + 32), Load(ref r6, offset + 32), Load(ref r7, offset + 32));
            Vector256<uint> a0 = a, b0 = b, c0 = c, d0 = d;
            a = b + Rotate(a + Vector256.Create(0xd76aa478u) + words[0] + F(b, c, d), 7);
            d = a + Rotate(d + Vector256.Create(0xe8c7b756u) + words[1] + F(a, b, c), 12);
            c = d + Rotate(c + Vector256.Create(0x242070dbu) + words[2] + F(d, a, b), 17);
            b = c + Rotate(b + Vector256.Create(0xc1bdceeeu) + words[3] + F(c, d, a), 22);
            a = b + Rotate(a + Vector256.Create(0xf57c0fafu) + words[4] + F(b, c, d), 7);
            d = a + Rotate(d + Vector256.Create(0x4787c62au) + words[5] + F(a, b, c), 12);
            c = d + Rotate(c + Vector256.Create(0xa8304613u) + words[6] + F(d, a, b), 17);
            b = c + Rotate(b + Vector256.Create(0xfd469501u) + words[7] + F(c, d, a), 22);
            a = b + Rotate(a + Vector256.Create(0x698098d8u) + words[8] + F(b, c, d), 7);
            d = a + Rotate(d + Vector256.Create(0x8b44f7afu) + words[9] + F(a, b, c), 12);
            c = d + Rotate(c + Vector256.Create(0xffff5bb1u) + words[10] + F(d, a, b), 17);
            b = c + Rotate(b + Vector256.Create(0x895cd7beu) + words[11] + F(c, d, a), 22);
            a = b + Rotate(a + Vector256.Create(0x6b901122u) + words[12] + F(b, c, d), 7);
            d = a + Rotate(d + Vector256.Create(0xfd987193u) + words[13] + F(a, b, c), 12);
            c = d + Rotate(c + Vector256.Create(0xa679438eu) + words[14] + F(d, a, b), 17);
            b = c + Rotate(b + Vector256.Create(0x49b40821u) + words[15] + F(c, d, a), 22);
            a = b + Rotate(a + Vector256.Create(0xf61e2562u) + words[1] + G(b, c, d), 5);
            d = a + Rotate(d + Vector256.Create(0xc040b340u) + words[6] + G(a, b, c), 9);
            c = d + Rotate(c + Vector256.Create(0x265e5a51u) + words[11] + G(d, a, b), 14);
            b = c + Rotate(b + Vector256.Create(0xe9b6c7aau) + words[0] + G(c, d, a), 20);
            a = b + Rotate(a + Vector256.Create(0xd62f105du) + words[5] + G(b, c, d), 5);
            d = a + Rotate(d + Vector256.Create(0x02441453u) + words[10] + G(a, b, c), 9);
            c = d + Rotate(c + Vector256.Create(0xd8a1e681u) + words[15] + G(d, a, b), 14);
            b = c + Rotate(b + Vector256.Create(0xe7d3fbc8u) + words[4] + G(c, d, a), 20);
            a = b + Rotate(a + Vector256.Create(0x21e1cde6u) + words[9] + G(b, c, d), 5);
            d = a + Rotate(d + Vector256.Create(0xc33707d6u) + words[14] + G(a, b, c), 9);
            c = d + Rotate(c + Vector256.Create(0xf4d50d87u) + words[3] + G(d, a, b), 14);
            b = c + Rotate(b + Vector256.Create(0x455a14edu) + words[8] + G(c, d, a), 20);
            a = b + Rotate(a + Vector256.Create(0xa9e3e905u) + words[13] + G(b, c, d), 5);
            d = a + Rotate(d + Vector256.Create(0xfcefa3f8u) + words[2] + G(a, b, c), 9);
            c = d + Rotate(c + Vector256.Create(0x676f02d9u) + words[7] + G(d, a, b), 14);
            b = c + Rotate(b + Vector256.Create(0x8d2a4c8au) + words[12] + G(c, d, a), 20);
            a = b + Rotate(a + Vector256.Create(0xfffa3942u) + words[5] + H(b, c, d), 4);
            d = a + Rotate(d + Vector256.Create(0x8771f681u) + words[8] + H(a, b, c), 11);
            c = d + Rotate(c + Vector256.Create(0x6d9d6122u) + words[11] + H(d, a, b), 16);
            b = c + Rotate(b + Vector256.Create(0xfde5380cu) + words[14] + H(c, d, a), 23);
            a = b + Rotate(a + Vector256.Create(0xa4beea44u) + words[1] + H(b, c, d), 4);
            d = a + Rotate(d + Vector256.Create(0x4bdecfa9u) + words[4] + H(a, b, c), 11);
            c = d + Rotate(c + Vector256.Create(0xf6bb4b60u) + words[7] + H(d, a, b), 16);
            b = c + Rotate(b + Vector256.Create(0xbebfbc70u) + words[10] + H(c, d, a), 23);
            a = b + Rotate(a + Vector256.Create(0x289b7ec6u) + words[13] + H(b, c, d), 4);
            d = a + Rotate(d + Vector256.Create(0xeaa127fau) + words[0] + H(a, b, c), 11);
            c = d + Rotate(c + Vector256.Create(0xd4ef3085u) + words[3] + H(d, a, b), 16);
            b = c + Rotate(b + Vector256.Create(0x04881d05u) + words[6] + H(c, d, a), 23);
            a = b + Rotate(a + Vector256.Create(0xd9d4d039u) + words[9] + H(b, c, d), 4);
            d = a + Rotate(d + Vector256.Create(0xe6db99e5u) + words[12] + H(a, b, c), 11);
            c = d + Rotate(c + Vector256.Create(0x1fa27cf8u) + words[15] + H(d, a, b), 16);
            b = c + Rotate(b + Vector256.Create(0xc4ac5665u) + words[2] + H(c, d, a), 23);
            a = b + Rotate(a + Vector256.Create(0xf4292244u) + words[0] + I(b, c, d), 6);
            d = a + Rotate(d + Vector256.Create(0x432aff97u) + words[7] + I(a, b, c), 10);
            c = d + Rotate(c + Vector256.Create(0xab9423a7u) + words[14] + I(d, a, b), 15);
            b = c + Rotate(b + Vector256.Create(0xfc93a039u) + words[5] + I(c, d, a), 21);
            a = b + Rotate(a + Vector256.Create(0x655b59c3u) + words[12] + I(b, c, d), 6);
            d = a + Rotate(d + Vector256.Create(0x8f0ccc92u) + words[3] + I(a, b, c), 10);
            c = d + Rotate(c + Vector256.Create(0xffeff47du) + words[10] + I(d, a, b), 15);
            b = c + Rotate(b + Vector256.Create(0x85845dd1u) + words[1] + I(c, d, a), 21);
            a = b + Rotate(a + Vector256.Create(0x6fa87e4fu) + words[8] + I(b, c, d), 6);
            d = a + Rotate(d + Vector256.Create(0xfe2ce6e0u) + words[15] + I(a, b, c), 10);
            c = d + Rotate(c + Vector256.Create(0xa3014314u) + words[6] + I(d, a, b), 15);
            b = c + Rotate(b + Vector256.Create(0x4e0811a1u) + words[13] + I(c, d, a), 21);
            a = b + Rotate(a + Vector256.Create(0xf7537e82u) + words[4] + I(b, c, d), 6);
            d = a + Rotate(d + Vector256.Create(0xbd3af235u) + words[11] + I(a, b, c), 10);
            c = d + Rotate(c + Vector256.Create(0x2ad7d2bbu) + words[2] + I(d, a, b), 15);
            b = c + Rotate(b + Vector256.Create(0xeb86d391u) + words[9] + I(c, d, a), 21);
            a += a0;
            b += b0;
            c += c0;
            d += d0;
        }
        for (var lane = 0; lane < 8; lane++)
        {
            var state = states[lane];
            (state.A, state.B, state.C, state.D) = (a.GetElement(lane), b.GetElement(lane), c.GetElement(lane), d.GetElement(lane));
        }
    }

    /// <summary>Eight words of eight lanes (a row per lane) to eight vectors of one word each (a lane per body).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(Span<Vector256<uint>> words, int first, Vector256<uint> r0, Vector256<uint> r1, Vector256<uint> r2, Vector256<uint> r3,
        Vector256<uint> r4, Vector256<uint> r5, Vector256<uint> r6, Vector256<uint> r7)
    {
        // Pairs of lanes interleaved by word, then by pairs of words, then the 128-bit halves exchanged.
        Vector256<uint> t0 = Avx2.UnpackLow(r0, r1), t1 = Avx2.UnpackHigh(r0, r1), t2 = Avx2.UnpackLow(r2, r3), t3 = Avx2.UnpackHigh(r2, r3);
        Vector256<uint> t4 = Avx2.UnpackLow(r4, r5), t5 = Avx2.UnpackHigh(r4, r5), t6 = Avx2.UnpackLow(r6, r7), t7 = Avx2.UnpackHigh(r6, r7);
        Vector256<uint> u0 = Low(t0, t2), u1 = High(t0, t2), u2 = Low(t1, t3), u3 = High(t1, t3);
        Vector256<uint> u4 = Low(t4, t6), u5 = High(t4, t6), u6 = Low(t5, t7), u7 = High(t5, t7);
        words[first] = Avx2.Permute2x128(u0, u4, 0x20);
        words[first + 1] = Avx2.Permute2x128(u1, u5, 0x20);
        words[first + 2] = Avx2.Permute2x128(u2, u6, 0x20);
        words[first + 3] = Avx2.Permute2x128(u3, u7, 0x20);
        words[first + 4] = Avx2.Permute2x128(u0, u4, 0x31);
        words[first + 5] = Avx2.Permute2x128(u1, u5, 0x31);
        words[first + 6] = Avx2.Permute2x128(u2, u6, 0x31);
        words[first + 7] = Avx2.Permute2x128(u3, u7, 0x31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Low(Vector256<uint> x, Vector256<uint> y) => Avx2.UnpackLow(x.AsUInt64(), y.AsUInt64()).AsUInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> High(Vector256<uint> x, Vector256<uint> y) => Avx2.UnpackHigh(x.AsUInt64(), y.AsUInt64()).AsUInt32();

    /// <summary>32 bytes of a lane from <paramref name="offset"/>, as eight little-endian words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Load(ref byte lane, int offset) => Vector256.LoadUnsafe(ref Unsafe.Add(ref lane, offset)).AsUInt32();

    /// <summary>Message word <paramref name="index"/> of a block (little-endian).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Word(ref byte block, int index)
    {
        var word = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref block, index * 4));
        return BitConverter.IsLittleEndian ? word : BinaryPrimitives.ReverseEndianness(word);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rotate(Vector256<uint> value, [System.Diagnostics.CodeAnalysis.ConstantExpected] byte count) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.RotateLeft(value, count) : Vector256.ShiftLeft(value, count) | Vector256.ShiftRightLogical(value, 32 - count);

    // The four round functions; with AVX-512 each is one ternary-logic instruction (the immediate is its truth table).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> F(Vector256<uint> x, Vector256<uint> y, Vector256<uint> z) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(x, y, z, 0xCA) : z ^ (x & (y ^ z));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> G(Vector256<uint> x, Vector256<uint> y, Vector256<uint> z) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(z, x, y, 0xCA) : y ^ (z & (x ^ y));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> H(Vector256<uint> x, Vector256<uint> y, Vector256<uint> z) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(x, y, z, 0x96) : x ^ y ^ z;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> I(Vector256<uint> x, Vector256<uint> y, Vector256<uint> z) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(x, y, z, 0x39) : y ^ (x | ~z);
}
