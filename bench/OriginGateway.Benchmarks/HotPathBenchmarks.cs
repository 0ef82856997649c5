using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using OriginGateway.Buckets;
using OriginGateway.Protocol;
using OriginGateway.Rules;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.Benchmarks;

/// <summary>Rule matching against a bucket with 100 rules (the most a configuration may hold).</summary>
[MemoryDiagnoser]
public class RuleMatchingBenchmarks
{
    private CompiledRuleSet _rules = null!;

    [GlobalSetup]
    public void Setup()
    {
        var xml = new StringBuilder("<OriginConfiguration>");
        for (var i = 1; i <= 100; i++)
        {
            xml.Append($"<OriginRule><RulePriority>{i}</RulePriority><OriginType>Mirror</OriginType><OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>p{i:D3}/</Prefix></OriginCondition>")
               .Append($"<OriginInfo><HostInfo><HostName>o{i}.example.com</HostName></HostInfo></OriginInfo></OriginRule>");
        }
        _rules = new CompiledRuleSet(OriginConfigurationXml.Parse(Encoding.UTF8.GetBytes(xml.Append("</OriginConfiguration>").ToString())).Configuration);
    }

    [Benchmark]
    public object? FirstRuleMatches() => _rules.Match("p001/images/cat.jpg", 404);

    [Benchmark]
    public object? LastRuleMatches() => _rules.Match("p100/images/cat.jpg", 404);

    [Benchmark]
    public object? NoRuleMatches() => _rules.Match("other/images/cat.jpg", 404);
}

/// <summary>Bucket resolution and key decoding from the raw request target.</summary>
[MemoryDiagnoser]
public class BucketAndKeyBenchmarks
{
    private BucketRegistry _buckets = null!;
    private string _root = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("og-bench").FullName;
        var store = new FileSystemObjectStore(Path.Combine(_root, "b"), false, TimeProvider.System, NullLogger.Instance);
        var bucket = new Bucket("examplebucket-1250000000", "", true, false, store, store, "", DateTimeOffset.UtcNow);
        _buckets = new BucketRegistry([(bucket, (IReadOnlyList<string>)["examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"])], bucket.Name);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, true);

    [Benchmark]
    public string DefaultBucket_PlainKey()
    {
        const string raw = "/fast/hot/1k/000001.bin";
        _buckets.Resolve("127.0.0.1", raw, out var start, out _);
        KeyDecoding.TryDecodePath(raw.AsSpan(start), out var key);
        return key;
    }

    [Benchmark]
    public string PathStyle_EncodedUnicodeKey()
    {
        const string raw = "/examplebucket-1250000000/%E8%85%BE%E8%AE%AF%E4%BA%91/a%20b.txt";
        _buckets.Resolve("127.0.0.1", raw, out var start, out _);
        KeyDecoding.TryDecodePath(raw.AsSpan(start), out var key);
        return key;
    }

    [Benchmark]
    public object? VirtualHost() => _buckets.Resolve("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com", "/a.txt", out _, out _);
}

/// <summary>COS signature verification of a signed request (header form).</summary>
[MemoryDiagnoser]
public class SignatureBenchmarks
{
    private CosAuthenticator _authenticator = null!;
    private IHeaderDictionary _headers = null!;

    [GlobalSetup]
    public void Setup()
    {
        var credentials = new CredentialStore([new CredentialOptions { SecretId = "AKIDBENCH", SecretKey = "bench-secret" }]);
        _authenticator = new CosAuthenticator(credentials, TimeProvider.System);
        var now = DateTimeOffset.UtcNow;
        _headers = new HeaderDictionary { ["Host"] = "127.0.0.1:8080", ["Content-Type"] = "text/plain" };
        _headers.Authorization = CosSignature.Authorization("AKIDBENCH", "bench-secret", now, now.AddHours(1), "PUT", "/dir/object.txt", [],
            [new("host", "127.0.0.1:8080"), new("content-type", "text/plain")]);
    }

    /// <summary>The same Authorization again (a presigned URL, an SDK's signature within its second): the kept signature.</summary>
    [Benchmark]
    public bool VerifyHeaderSignature() => !_authenticator.Authenticate("PUT", "/dir/object.txt", null, _headers).Failed;

    /// <summary>A signature seen the first time: computed and kept (the kept ones dropped before each call).</summary>
    [Benchmark]
    public bool VerifyHeaderSignatureFirstTime()
    {
        KnownSignatures.Clear();
        return !_authenticator.Authenticate("PUT", "/dir/object.txt", null, _headers).Failed;
    }
}

/// <summary>Metadata lookup of a hit: the in-memory entry of one key among 10,000.</summary>
[MemoryDiagnoser]
public class MetadataLookupBenchmarks
{
    private FileSystemObjectStore _store = null!;
    private string _root = null!;

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("og-bench").FullName;
        _store = new FileSystemObjectStore(Path.Combine(_root, "b"), false, TimeProvider.System, NullLogger.Instance);
        var write = new ObjectWrite("application/octet-stream", [], null, null, long.MaxValue);
        for (var i = 0; i < 10_000; i++)
        {
            _store.PutAsync($"fast/hot/1k/{i:D6}.bin", new MemoryStream(new byte[16]), write, CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, true);

    [Benchmark]
    public object? FindExisting() => _store.Find("fast/hot/1k/004242.bin");

    [Benchmark]
    public object? FindMissing() => _store.Find("fast/hot/1k/999999.bin");

    [Benchmark]
    public long FindAndOpen()
    {
        var entry = _store.Find("fast/hot/1k/004242.bin")!;
        using var reader = _store.Open(entry)!;
        return reader.Length;
    }
}

/// <summary>MD5 of 1 MiB bodies: the platform's, the gateway's one-body path, and eight bodies in the lanes at once.</summary>
public class Md5Benchmarks
{
    private const int Size = 1024 * 1024;
    private readonly byte[][] _bodies = Enumerable.Range(0, 8).Select(i => new byte[Size]).ToArray();

    [GlobalSetup]
    public void Setup()
    {
        foreach (var body in _bodies)
        {
            Random.Shared.NextBytes(body);
        }
    }

    [Benchmark(Baseline = true)]
    public byte[] Platform_OneMiB() => System.Security.Cryptography.MD5.HashData(_bodies[0]);

    [Benchmark]
    public byte[] Alone_OneMiB()
    {
        var state = new Md5State();
        state.Append(_bodies[0]);
        return state.Finish();
    }

    /// <summary>Eight bodies: divide by eight for the cost of one MiB.</summary>
    [Benchmark]
    public uint Lanes_EightMiB()
    {
        var states = new[] { new Md5State(), new Md5State(), new Md5State(), new Md5State(), new Md5State(), new Md5State(), new Md5State(), new Md5State() };
        var b = _bodies;
        Md5State.Compress8(states, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], Size / Md5State.BlockSize);
        return states[0].A;
    }
}
