using OriginGateway.Rules;
using OriginGateway.Security;

namespace OriginGateway.Tests;

/// <summary>Every sample in <c>samples/</c> is accepted by the gateway as it ships.</summary>
public class SamplesTests
{
    private static string Samples(string folder)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "OriginGateway.sln")))
        {
            directory = directory.Parent;
        }
        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("repository root not found"), "samples", folder);
    }

    [Fact]
    public void OriginRuleSamples_AreValid()
    {
        var files = Directory.GetFiles(Samples("origin-rules"), "*.xml");
        Assert.NotEmpty(files);
        Assert.All(files, file =>
        {
            var result = OriginConfigurationXml.Parse(File.ReadAllBytes(file));
            Assert.True(result.IsValid, $"{file}: {result.Message}");
        });
    }

    [Fact]
    public void PolicySamples_AreValid()
    {
        var files = Directory.GetFiles(Samples("policies"), "*.json");
        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.True(BucketPolicy.Parse(File.ReadAllBytes(file), out var error) is not null, $"{file}: {error}"));
    }

    [Fact]
    public void ServiceWritePrefixSample_MeansWhatItsReadmeSays()
    {
        var policy = BucketPolicy.Parse(File.ReadAllBytes(Path.Combine(Samples("policies"), "service-write-prefix.json")), out _)!;
        Assert.True(policy.AllowsService(BucketPolicyService.PutObject, "examplebucket-1250000000", "1250000000", "", "imports/a.mp4"));
        Assert.False(policy.AllowsService(BucketPolicyService.PutObject, "examplebucket-1250000000", "1250000000", "", "imports/private/a.mp4"));
        Assert.False(policy.AllowsService(BucketPolicyService.PutObject, "examplebucket-1250000000", "1250000000", "", "other/a.mp4"));
    }
}
