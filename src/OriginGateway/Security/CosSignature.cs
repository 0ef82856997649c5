using System.Security.Cryptography;
using System.Text;
using OriginGateway.Protocol;

namespace OriginGateway.Security;

/// <summary>
/// The COS request signature (<c>q-sign-algorithm=sha1</c>): one implementation, used to verify
/// requests and, in tests and tools, to sign them.
/// </summary>
internal static class CosSignature
{
    /// <summary>Computes the hex signature for a request.</summary>
    /// <param name="secretKey">The credential's SecretKey.</param>
    /// <param name="keyTime">q-key-time, "start;end".</param>
    /// <param name="signTime">q-sign-time, "start;end".</param>
    /// <param name="method">HTTP method (any case).</param>
    /// <param name="decodedPath">The decoded UTF-8 path with its leading '/'.</param>
    /// <param name="parameters">Signed query parameters: names as sent, decoded values.</param>
    /// <param name="headers">Signed headers: names as sent, values as sent.</param>
    public static string Compute(string secretKey, string keyTime, string signTime, string method, string decodedPath,
        IEnumerable<KeyValuePair<string, string>> parameters, IEnumerable<KeyValuePair<string, string>> headers)
    {
        Span<byte> signature = stackalloc byte[HashLength];
        Compute(secretKey, keyTime, signTime, method, decodedPath, [.. parameters], [.. headers], signature);
        return Convert.ToHexStringLower(signature);
    }

    /// <summary>
    /// Whether <paramref name="signatureHex"/> (any case) is the request's signature; compared in constant time. The
    /// signature is a function of the SignKey, the SignTime and the HttpString alone; signatures computed for requests
    /// that matched are remembered under exactly those inputs (<see cref="KnownSignatures"/>), so a presigned URL or an
    /// Authorization sent again is compared without its two hashes.
    /// </summary>
    public static bool Matches(ReadOnlySpan<char> signatureHex, string secretKey, ReadOnlySpan<char> keyTime, ReadOnlySpan<char> signTime, string method,
        string decodedPath, ReadOnlySpan<KeyValuePair<string, string>> parameters, ReadOnlySpan<KeyValuePair<string, string>> headers)
    {
        Span<byte> provided = stackalloc byte[HashLength];
        if (signatureHex.Length != HashLength * 2 || Convert.FromHexString(signatureHex, provided, out _, out var written) != System.Buffers.OperationStatus.Done || written != HashLength)
        {
            return false;
        }
        var signKey = SignKey(secretKey, keyTime);
        // The inputs side by side: SignKey (40 bytes), SignTime's length and text, the HttpString.
        var inputs = new Utf8Builder(320 + decodedPath.Length * 3);
        try
        {
            inputs.Append(signKey);
            inputs.AppendLength(signTime.Length);
            inputs.Append(signTime);
            var httpStart = inputs.Length;
            AppendHttpString(ref inputs, method, decodedPath, parameters, headers);
            if (KnownSignatures.Find(inputs.Written) is { } known)
            {
                return CryptographicOperations.FixedTimeEquals(known, provided);
            }
            Span<byte> expected = stackalloc byte[HashLength];
            Sign(signKey, signTime, inputs.Written[httpStart..], expected);
            if (!CryptographicOperations.FixedTimeEquals(expected, provided))
            {
                return false;
            }
            KnownSignatures.Add(inputs.Written, expected);
            return true;
        }
        finally
        {
            inputs.Dispose();
        }
    }

    private const int HashLength = 20;

    /// <summary>
    /// The signature of a COS form upload (POST Object): SignKey = hex(HMAC-SHA1(SecretKey, KeyTime)), StringToSign =
    /// hex(SHA1(the policy's JSON as sent, base64-decoded)), Signature = hex(HMAC-SHA1(SignKey, StringToSign)).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "The COS signature is defined with SHA-1 and HMAC-SHA1.")]
    public static bool PolicyMatches(ReadOnlySpan<char> signatureHex, string secretKey, ReadOnlySpan<char> keyTime, ReadOnlySpan<byte> policyJson)
    {
        Span<byte> provided = stackalloc byte[HashLength];
        if (signatureHex.Length != HashLength * 2 || Convert.FromHexString(signatureHex, provided, out _, out var written) != System.Buffers.OperationStatus.Done || written != HashLength)
        {
            return false;
        }
        Span<byte> hash = stackalloc byte[HashLength];
        SHA1.HashData(policyJson, hash);
        Span<byte> stringToSign = stackalloc byte[HashLength * 2];
        Encoding.ASCII.GetBytes(Convert.ToHexStringLower(hash), stringToSign);
        Span<byte> expected = stackalloc byte[HashLength];
        HMACSHA1.HashData(SignKey(secretKey, keyTime), stringToSign, expected);
        return CryptographicOperations.FixedTimeEquals(expected, provided);
    }

    /// <summary>
    /// SignKey = hex(HMAC-SHA1(SecretKey, KeyTime)); HttpString = method, path, canonical parameters and headers;
    /// StringToSign = "sha1\n" SignTime "\n" hex(SHA1(HttpString)) "\n"; Signature = HMAC-SHA1(SignKey, StringToSign) —
    /// built in pooled and stack buffers, without intermediate strings: verifying it is on the path of every signed request.
    /// </summary>
    private static void Compute(string secretKey, ReadOnlySpan<char> keyTime, ReadOnlySpan<char> signTime, string method, string decodedPath,
        ReadOnlySpan<KeyValuePair<string, string>> parameters, ReadOnlySpan<KeyValuePair<string, string>> headers, Span<byte> signature)
    {
        var signKey = SignKey(secretKey, keyTime);
        var http = new Utf8Builder(256 + decodedPath.Length * 3);
        try
        {
            AppendHttpString(ref http, method, decodedPath, parameters, headers);
            Sign(signKey, signTime, http.Written, signature);
        }
        finally
        {
            http.Dispose();
        }
    }

    /// <summary>HttpString: the lower-cased method, the path, the canonical parameters and headers, each line ended by '\n'.</summary>
    private static void AppendHttpString(ref Utf8Builder http, string method, string decodedPath,
        ReadOnlySpan<KeyValuePair<string, string>> parameters, ReadOnlySpan<KeyValuePair<string, string>> headers)
    {
        http.AppendLowerCase(method);
        http.Append('\n');
        http.Append(decodedPath);
        http.Append('\n');
        AppendCanonical(ref http, parameters);
        http.Append('\n');
        AppendCanonical(ref http, headers);
        http.Append('\n');
    }

    /// <summary>The signature of <paramref name="httpString"/>: HMAC-SHA1(SignKey, "sha1\n" SignTime "\n" hex(SHA1(HttpString)) "\n").</summary>
    private static void Sign(byte[] signKey, ReadOnlySpan<char> signTime, ReadOnlySpan<byte> httpString, Span<byte> signature)
    {
        Span<byte> hash = stackalloc byte[HashLength];
        HashInto(t_sha1 ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA1), httpString, hash);
        var toSign = new Utf8Builder(64 + signTime.Length);
        try
        {
            toSign.Append("sha1\n");
            toSign.Append(signTime);
            toSign.Append('\n');
            toSign.AppendHexLower(hash);
            toSign.Append('\n');
            HashInto(Hmac(signKey), toSign.Written, signature);
        }
        finally
        {
            toSign.Dispose();
        }
    }

    /// <summary>
    /// hex(HMAC-SHA1(SecretKey, KeyTime)), the key of the final HMAC. A client signs every request of a second (or of a
    /// whole presigned window) with one KeyTime, so the last ones computed are kept: one HMAC of three saved per request.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "The COS signature is defined with HMAC-SHA1.")]
    private static byte[] SignKey(string secretKey, ReadOnlySpan<char> keyTime)
    {
        if (ReferenceEquals(t_signKeySecret, secretKey) && keyTime.SequenceEqual(t_signKeyTime))
        {
            return t_signKey!;
        }
        var keyTimeText = keyTime.ToString();
        if (!SignKeys.TryGetValue((secretKey, keyTimeText), out var signKey))
        {
            Span<byte> hash = stackalloc byte[HashLength];
            HMACSHA1.HashData(Encoding.UTF8.GetBytes(secretKey), Encoding.UTF8.GetBytes(keyTimeText), hash);
            signKey = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(hash));
            if (SignKeys.Count >= MaxSignKeys)
            {
                SignKeys.Clear();
            }
            SignKeys[(secretKey, keyTimeText)] = signKey;
        }
        (t_signKeySecret, t_signKeyTime, t_signKey) = (secretKey, keyTimeText, signKey);
        return signKey;
    }

    /// <summary>
    /// This thread's HMAC-SHA1 keyed with <paramref name="signKey"/> (one of the cached SignKeys). A one-shot HMAC
    /// sets up and tears down an OpenSSL context on every call — half of its cost; the context of the last
    /// SignKey is kept and reset instead (one client's requests share their SignKey for its whole KeyTime).
    /// </summary>
    private static IncrementalHash Hmac(byte[] signKey)
    {
        if (t_hmac is { } kept && ReferenceEquals(t_hmacKey, signKey))
        {
            return kept;
        }
        t_hmac?.Dispose();
        t_hmacKey = signKey;
        return t_hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, signKey);
    }

    /// <summary>Feeds one of this thread's kept contexts and takes its hash, which resets it for the next request.</summary>
    private static void HashInto(IncrementalHash context, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        try
        {
            context.AppendData(data);
            context.GetHashAndReset(destination);
        }
        catch (CryptographicException)
        {
            // A context left half-fed must never be reused.
            DropThreadContexts();
            throw;
        }
    }

    private static void DropThreadContexts()
    {
        t_sha1?.Dispose();
        t_hmac?.Dispose();
        t_sha1 = t_hmac = null;
        t_hmacKey = null;
    }

    [ThreadStatic]
    private static IncrementalHash? t_sha1;

    [ThreadStatic]
    private static IncrementalHash? t_hmac;

    [ThreadStatic]
    private static byte[]? t_hmacKey;

    // This thread's last SignKey (the cache below is looked up only when the KeyTime changed).
    [ThreadStatic]
    private static string? t_signKeySecret;

    [ThreadStatic]
    private static string? t_signKeyTime;

    [ThreadStatic]
    private static byte[]? t_signKey;

    private const int MaxSignKeys = 1024;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string SecretKey, string KeyTime), byte[]> SignKeys = new();

    /// <summary>name=value pairs, names percent-encoded and lower-cased, values percent-encoded, in the names' ordinal order, joined by '&amp;'.</summary>
    private static void AppendCanonical(ref Utf8Builder builder, ReadOnlySpan<KeyValuePair<string, string>> pairs)
    {
        if (pairs.IsEmpty)
        {
            return;
        }
        // The encoded names side by side in one buffer, then a stable insertion sort of their indices (a name sent twice
        // keeps its values in request order); encoded names are ASCII, so their bytes sort as the strings would.
        var names = new Utf8Builder(64);
        Span<(int Start, int Length)> ranges = pairs.Length <= 16 ? stackalloc (int, int)[pairs.Length] : new (int, int)[pairs.Length];
        Span<int> order = pairs.Length <= 16 ? stackalloc int[pairs.Length] : new int[pairs.Length];
        try
        {
            for (var i = 0; i < pairs.Length; i++)
            {
                var start = names.Length;
                names.AppendEncoded(pairs[i].Key, lowerCase: true);
                ranges[i] = (start, names.Length - start);
            }
            var written = names.Written;
            for (var i = 0; i < pairs.Length; i++)
            {
                var name = written.Slice(ranges[i].Start, ranges[i].Length);
                var j = i;
                for (; j > 0 && written.Slice(ranges[order[j - 1]].Start, ranges[order[j - 1]].Length).SequenceCompareTo(name) > 0; j--)
                {
                    order[j] = order[j - 1];
                }
                order[j] = i;
            }
            for (var k = 0; k < order.Length; k++)
            {
                if (k > 0)
                {
                    builder.Append('&');
                }
                builder.Append(written.Slice(ranges[order[k]].Start, ranges[order[k]].Length));
                builder.Append('=');
                builder.AppendEncoded(pairs[order[k]].Value, lowerCase: false);
            }
        }
        finally
        {
            names.Dispose();
        }
    }

    /// <summary>UTF-8 text written into a pooled buffer.</summary>
    private ref struct Utf8Builder(int capacity)
    {
        private byte[] _buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(capacity);
        private int _length;

        public readonly ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

        public readonly int Length => _length;

        public void Append(char ascii)
        {
            Ensure(1);
            _buffer[_length++] = (byte)ascii;
        }

        public void Append(scoped ReadOnlySpan<char> text)
        {
            Ensure(Encoding.UTF8.GetMaxByteCount(text.Length));
            _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
        }

        public void Append(scoped ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(_buffer.AsSpan(_length));
            _length += bytes.Length;
        }

        /// <summary>The text lower-cased as <see cref="string.ToLowerInvariant()"/> does (ASCII, as methods are, without a copy).</summary>
        public void AppendLowerCase(string text)
        {
            if (!System.Text.Ascii.IsValid(text))
            {
                Append(text.ToLowerInvariant());
                return;
            }
            Ensure(text.Length);
            System.Text.Ascii.ToLower(text, _buffer.AsSpan(_length), out var written);
            _length += written;
        }

        public void AppendEncoded(scoped ReadOnlySpan<char> text, bool lowerCase)
        {
            Ensure(CosUrlEncoding.MaxEncodedLength(text.Length));
            _length += CosUrlEncoding.EncodeTo(text, _buffer.AsSpan(_length), lowerCase);
        }

        /// <summary>A length as four bytes, so that the text after it cannot be read as part of the text before.</summary>
        public void AppendLength(int length)
        {
            Ensure(sizeof(int));
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_length), length);
            _length += sizeof(int);
        }

        public void AppendHexLower(scoped ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length * 2);
            Convert.TryToHexStringLower(bytes, _buffer.AsSpan(_length), out var written);
            _length += written;
        }

        private void Ensure(int more)
        {
            if (_length + more > _buffer.Length)
            {
                var larger = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + more));
                _buffer.AsSpan(0, _length).CopyTo(larger);
                System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
        }

        public void Dispose() => System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
    }

    /// <summary>The q-header-list / q-url-param-list value for a set of names.</summary>
    public static string NameList(IEnumerable<KeyValuePair<string, string>> pairs) =>
        string.Join(';', pairs.Select(p => CosUrlEncoding.Encode(p.Key).ToLowerInvariant()).Order(StringComparer.Ordinal));

    /// <summary>Builds a complete Authorization value (for clients and tests).</summary>
    public static string Authorization(string secretId, string secretKey, DateTimeOffset start, DateTimeOffset end, string method, string decodedPath,
        IReadOnlyList<KeyValuePair<string, string>> parameters, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var time = $"{start.ToUnixTimeSeconds()};{end.ToUnixTimeSeconds()}";
        var signature = Compute(secretKey, time, time, method, decodedPath, parameters, headers);
        return $"q-sign-algorithm=sha1&q-ak={secretId}&q-sign-time={time}&q-key-time={time}&q-header-list={NameList(headers)}&q-url-param-list={NameList(parameters)}&q-signature={signature}";
    }

    /// <summary>
    /// A presigned URL for a <paramref name="method"/> (GET unless named) of <paramref name="url"/> (host and the URL's own
    /// query parameters signed, the parameters kept), valid from <paramref name="start"/> for <paramref name="validFor"/>.
    /// </summary>
    public static Uri Presign(Uri url, string secretId, string secretKey, DateTimeOffset start, TimeSpan validFor, string method = "GET")
    {
        var time = $"{start.ToUnixTimeSeconds()};{(start + validFor).ToUnixTimeSeconds()}";
        KeyDecoding.TryDecodePath(url.AbsolutePath, out var decodedPath);
        var own = url.Query.TrimStart('?');
        List<KeyValuePair<string, string>> parameters = own.Length > 0 && QueryParameters.TryParse(own, out var parsed) ? parsed : [];
        var signature = Compute(secretKey, time, time, method, decodedPath, parameters, [new("host", url.Authority)]);
        var query = $"q-sign-algorithm=sha1&q-ak={Uri.EscapeDataString(secretId)}&q-sign-time={Uri.EscapeDataString(time)}&q-key-time={Uri.EscapeDataString(time)}&q-header-list=host&q-url-param-list={Uri.EscapeDataString(NameList(parameters))}&q-signature={signature}";
        return new Uri(url.GetLeftPart(UriPartial.Path) + "?" + (own.Length > 0 ? own + "&" : "") + query);
    }
}
