using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;
using OriginGateway.Protocol;
using OriginGateway.Rules;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.Tests.Properties;

/// <summary>
/// Property tests (FsCheck): the Range parser, origin URL building of the rule engine, key mapping on
/// the filesystem store and the COS signature canonicaliser, each over generated inputs.
/// </summary>
public sealed class PropertyTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "og-props-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(500);

    // --- keys: any legal COS key (1..850 bytes of UTF-8, no control characters), biased towards the awkward ---

    private static readonly string[] Awkward = ["/", "//", ".", "..", "../", "./", "\\", "%2e", "%2f", "?", "#", " ", "+", "~", "腾", "😀", "\uFFFD", "\u00A0", "a", "Z", "0"];

    private static Gen<string> KeyGen() =>
        Gen.OneOf(
                Gen.Elements(Awkward),
                Gen.Choose(0x20, 0x7E).Select(c => ((char)c).ToString()),
                Gen.Choose(0xA0, 0xD7FF).Select(c => ((char)c).ToString()),
                Gen.Choose(0x1F600, 0x1F64F).Select(char.ConvertFromUtf32))
            .ListOf().Select(parts => string.Concat(parts))
            .Where(k => k.Length > 0 && KeyDecoding.Check(k) == KeyStatus.Valid);

    [Fact]
    public void RangeParser_AnyByteRange_IsInsideTheObject_OrUnsatisfiable_OrTheWholeBody()
    {
        var cases = Gen.Choose(0, 5000).SelectMany(length =>
            Gen.OneOf(
                Gen.Choose(0, 6000).SelectMany(a => Gen.Choose(0, 6000).Select(b => ($"bytes={a}-{b}", length, a, b, Kind: 0))),
                Gen.Choose(0, 6000).Select(a => ($"bytes={a}-", length, a, -1, Kind: 1)),
                Gen.Choose(0, 6000).Select(n => ($"bytes=-{n}", length, -1, n, Kind: 2)),
                Gen.Elements("bytes=", "bytes=a-b", "items=0-1", "bytes=1-2,3-4", "bytes=--1", "bytes=-", "").Select(h => (h, length, -1, -1, Kind: 3))));

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (header, length, a, b, kind) = c;
            var range = ByteRange.Parse(new StringValues(header), length);
            switch (range.Kind)
            {
                case RangeKind.Single:
                    Assert.True(range.Start >= 0 && range.Length >= 1 && range.Start + range.Length <= length);
                    break;
                case RangeKind.Unsatisfiable:
                    Assert.Equal((0L, 0L), (range.Start, range.Length));
                    break;
                default:
                    Assert.Equal((0L, (long)length), (range.Start, range.Length));
                    break;
            }
            // What each form must give.
            var expected = kind switch
            {
                0 when b < a => RangeKind.Whole,
                0 or 1 when a >= length => RangeKind.Unsatisfiable,
                0 => RangeKind.Single,
                1 => RangeKind.Single,
                2 when b == 0 || length == 0 => RangeKind.Unsatisfiable,
                2 => RangeKind.Single,
                _ => RangeKind.Whole,
            };
            Assert.Equal(expected, range.Kind);
            if (expected == RangeKind.Single)
            {
                var (start, end) = kind switch
                {
                    0 => (a, Math.Min(b, length - 1)),
                    1 => (a, length - 1),
                    _ => (length - Math.Min(b, length), length - 1),
                };
                Assert.Equal((start, end - start + 1L), (range.Start, range.Length));
            }
        }).Check(Runs);
    }

    [Fact]
    public void OriginUrl_PrefixReplacedAndSuffixAppended_ForAnyKeyUnderTheRulePrefix()
    {
        var segment = Gen.Elements("img/", "a/b/", "static/", "x", "");
        var cases = segment.SelectMany(prefix => segment.SelectMany(newPrefix =>
            Gen.Elements("", ".jpg", "/index.html").SelectMany(suffix => KeyGen().Select(rest => (prefix, newPrefix, suffix, key: prefix + rest)))));

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var fileInfo = $"<FileInfo><PrefixConfiguration><Prefix>{System.Security.SecurityElement.Escape(c.newPrefix)}</Prefix></PrefixConfiguration>"
                + (c.suffix.Length > 0 ? $"<SuffixConfiguration><Suffix>{c.suffix}</Suffix></SuffixConfiguration>" : "") + "</FileInfo>";
            var rule = Rule(c.prefix, c.newPrefix.Length > 0 ? fileInfo : c.suffix.Length > 0 ? $"<FileInfo><SuffixConfiguration><Suffix>{c.suffix}</Suffix></SuffixConfiguration></FileInfo>" : "");
            var plan = OriginRequestPlan.Build(rule, c.key, "http", null, new Microsoft.AspNetCore.Http.HeaderDictionary());
            var path = (c.newPrefix.Length > 0 ? c.newPrefix + c.key[c.prefix.Length..] : c.key) + c.suffix;
            var expected = path.StartsWith('/') ? path : "/" + path;

            // Encoded for the wire, every segment decodes back to the key's (nothing normalised away), and
            // the URL built from it keeps its path literally (no dot-segment removal, no re-escaping).
            Assert.Equal(expected, "/" + string.Join('/', plan.PathAndQuery[1..].Split('/').Select(Uri.UnescapeDataString)));
            Assert.DoesNotContain('?', plan.PathAndQuery);
            Assert.DoesNotContain('#', plan.PathAndQuery);
            Assert.Equal("http://origin.example.com" + plan.PathAndQuery, plan.UrlFor("origin.example.com").AbsoluteUri);
        }).Check(Runs);
    }

    [Fact]
    public void FileSystemStore_AnyLegalKey_RoundTrips_ListsItself_AndStaysInsideTheBucket()
    {
        var store = new FileSystemObjectStore(Path.Combine(_root, "bucket"), flushToDisk: false, TimeProvider.System, NullLogger.Instance);
        var objects = Path.Combine(_root, "bucket", "objects") + Path.DirectorySeparatorChar;

        Prop.ForAll(KeyGen().ToArbitrary(), key =>
        {
            var body = Encoding.UTF8.GetBytes("body of " + key);
            var put = store.PutAsync(key, new MemoryStream(body), new ObjectWrite(null, [], null, null, 1 << 20), default).GetAwaiter().GetResult();
            Assert.Equal(ObjectWriteStatus.Committed, put.Status);

            var entry = store.Find(key)!;
            Assert.Equal(key, entry.Key);
            Assert.StartsWith(objects, Path.GetFullPath(entry.Location), StringComparison.Ordinal);
            using var reader = store.Open(entry)!;
            var read = new byte[entry.Length];
            Assert.Equal(read.Length, reader.Read(read, 0));
            Assert.Equal(body, read);
            Assert.Contains(key, store.List(new ListRequest(key, null, "", 10)).Contents.Select(e => e.Key));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));

        // Nothing but object files under objects/, and the bucket directory holds only the store's folders.
        Assert.All(Directory.EnumerateFiles(Path.Combine(_root, "bucket"), "*", SearchOption.AllDirectories), f => Assert.Matches(@"objects/[0-9a-f]{2}/[0-9a-f]{64}\.[0-9a-f]{16}\.obj$", f));
        Assert.Equal(["bucket"], Directory.EnumerateFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public void Signature_IgnoresOrderAndNameCase_AndEveryValueChangesIt()
    {
        var token = Gen.Elements("a", "B", "x-cos-meta-Ü", "Content-Type", "host", "q", "1 2", "&=", "腾讯", "~_.-");
        var pair = token.SelectMany(name => token.Select(value => new KeyValuePair<string, string>(name, value)));
        var cases = pair.ListOf().Select(l => l.DistinctBy(p => CosUrlEncoding.Encode(p.Key).ToLowerInvariant()).ToList())
            .SelectMany(headers => pair.ListOf().Select(l => l.DistinctBy(p => CosUrlEncoding.Encode(p.Key).ToLowerInvariant()).ToList())
                .SelectMany(parameters => KeyGen().Select(key => (headers, parameters, path: "/" + key))));

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            const string time = "1700000000;1700003600";
            var signature = CosSignature.Compute("secret", time, time, "PUT", c.path, c.parameters, c.headers);

            // Order of pairs and the ASCII case of names do not matter (names are encoded, then lower-cased).
            var shuffled = CosSignature.Compute("secret", time, time, "put", c.path,
                c.parameters.AsEnumerable().Reverse().Select(p => new KeyValuePair<string, string>(SwapAsciiCase(p.Key), p.Value)),
                c.headers.AsEnumerable().Reverse().Select(p => new KeyValuePair<string, string>(SwapAsciiCase(p.Key), p.Value)));
            Assert.Equal(signature, shuffled);

            // Any signed value, the path, the method and the key change it.
            foreach (var i in Enumerable.Range(0, c.headers.Count))
            {
                var tampered = c.headers.Select((p, j) => j == i ? new KeyValuePair<string, string>(p.Key, p.Value + "x") : p);
                Assert.NotEqual(signature, CosSignature.Compute("secret", time, time, "PUT", c.path, c.parameters, tampered));
            }
            foreach (var i in Enumerable.Range(0, c.parameters.Count))
            {
                var tampered = c.parameters.Select((p, j) => j == i ? new KeyValuePair<string, string>(p.Key, p.Value + "x") : p);
                Assert.NotEqual(signature, CosSignature.Compute("secret", time, time, "PUT", c.path, tampered, c.headers));
            }
            Assert.NotEqual(signature, CosSignature.Compute("secret", time, time, "PUT", c.path + "x", c.parameters, c.headers));
            Assert.NotEqual(signature, CosSignature.Compute("secret", time, time, "GET", c.path, c.parameters, c.headers));
            Assert.NotEqual(signature, CosSignature.Compute("secreT", time, time, "PUT", c.path, c.parameters, c.headers));
        }).Check(Runs);
    }

    private static string SwapAsciiCase(string value) =>
        string.Concat(value.Select(ch => char.IsAsciiLetterUpper(ch) ? char.ToLowerInvariant(ch) : char.IsAsciiLetterLower(ch) ? char.ToUpperInvariant(ch) : ch));

    private static CompiledRule Rule(string prefix, string fileInfo)
    {
        var xml = "<OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType>"
            + $"<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>{prefix}</Prefix></OriginCondition>"
            + $"<OriginInfo><HostInfo><HostName>origin.example.com</HostName></HostInfo>{fileInfo}</OriginInfo></OriginRule></OriginConfiguration>";
        var result = OriginConfigurationXml.Parse(Encoding.UTF8.GetBytes(xml));
        Assert.True(result.IsValid, result.Message);
        return new CompiledRuleSet(result.Configuration).Rules[0];
    }
}
