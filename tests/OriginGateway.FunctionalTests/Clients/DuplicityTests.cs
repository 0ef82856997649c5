using System.Security.Cryptography;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Clients;

/// <summary>
/// duplicity (Debian's), the backup tool many bucket migrations start from, keeps GnuPG-encrypted backup chains in the
/// private bucket through both of its S3 backends: boto3 (Signature Version 4; volumes above its chunk size go up as
/// multipart uploads) and boto 2 (Signature Version 2, single PUTs). Every step is what its users run: a full backup,
/// an incremental one, <c>collection-status</c>, <c>verify</c>, a byte-for-byte restore, a file restored as it was at
/// the full backup, <c>remove-all-but-n-full</c> after the local cache is gone (so the chain is read back from the
/// bucket), and a wrong passphrase that restores nothing.
/// </summary>
public sealed class DuplicityTests : IAsyncLifetime
{
    private GatewayProcess _gateway = null!;

    public async Task InitializeAsync() => _gateway = await GatewayProcess.StartAsync([$"--Buckets:1:Name={GatewayFixture.PrivateBucket}"]);

    public Task DisposeAsync() => _gateway.DisposeAsync().AsTask();

    [Fact]
    public async Task Duplicity_BacksUpEncryptedChainsThroughBoto3AndBoto2_VerifiesRestoresAPastVersion_AndPrunesFromTheBucket()
    {
        var duplicity = ExternalTool.RequireAt("/usr/bin/duplicity", "duplicity");
        var work = TestPaths.NewTempDirectory("og-duplicity");
        var gnupg = Directory.CreateDirectory(Path.Combine(work, "gnupg")).FullName;
        var endpoint = _gateway.DataUrl.ToString().TrimEnd('/');
        var boto3Url = $"boto3+s3://{GatewayFixture.PrivateBucket}/duplicity-{Guid.NewGuid():N}";
        var boto3Options = new[] { "--s3-endpoint-url", endpoint, "--s3-multipart-chunk-size", "5", "--volsize", "12" };
        async Task<(int Exit, string Out, string Err)> Duplicity(string passphrase, params string[] arguments) =>
            await ExternalTool.RunAsync(duplicity, [.. arguments, "--archive-dir", Path.Combine(work, "cache"), "--tempdir", work], environment: new Dictionary<string, string>
            {
                ["AWS_ACCESS_KEY_ID"] = GatewayProcess.DevSecretId,
                ["AWS_SECRET_ACCESS_KEY"] = GatewayProcess.DevSecretKey,
                ["AWS_DEFAULT_REGION"] = "us-east-1",
                ["AWS_EC2_METADATA_DISABLED"] = "true",
                ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
                ["AWS_CONFIG_FILE"] = "/dev/null",
                ["BOTO_CONFIG"] = "/dev/null",
                ["PASSPHRASE"] = passphrase,
                ["GNUPGHOME"] = gnupg,
                ["HOME"] = work,
            }, unset: ["AWS_CA_BUNDLE", "AWS_SESSION_TOKEN", "AWS_PROFILE", "SIGN_PASSPHRASE"]);
        async Task<string> Ok(params string[] arguments)
        {
            var run = await Duplicity("duplicity-test-passphrase", arguments);
            Assert.True(run.Exit == 0, $"duplicity {string.Join(' ', arguments)}: {run.Err}{run.Out}");
            return run.Out;
        }
        void SameTree(string expected, string actual)
        {
            var files = Directory.GetFiles(expected, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(expected, f)).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(files, Directory.GetFiles(actual, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(actual, f)).Order(StringComparer.Ordinal).ToList());
            foreach (var file in files)
            {
                Assert.True(File.ReadAllBytes(Path.Combine(expected, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, file))), file);
            }
        }

        try
        {
            // Small files, and a large random one: it fills two 12 MB volumes, each uploaded in 5 MiB parts.
            var tree = Directory.CreateDirectory(Path.Combine(work, "tree")).FullName;
            Directory.CreateDirectory(Path.Combine(tree, "docs"));
            for (var i = 0; i < 20; i++)
            {
                await File.WriteAllBytesAsync(Path.Combine(tree, "docs", $"f{i}.txt"), RandomNumberGenerator.GetBytes(500 + i * 91));
            }
            await File.WriteAllBytesAsync(Path.Combine(tree, "large.bin"), RandomNumberGenerator.GetBytes(20 * 1024 * 1024));
            await File.WriteAllTextAsync(Path.Combine(tree, "docs", "notes.txt"), "as it was at the full backup");

            Assert.Contains("Errors 0", await Ok(["full", .. boto3Options, tree, boto3Url]));
            var afterFull = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // duplicity's times are whole seconds: the incremental starts later

            await File.WriteAllTextAsync(Path.Combine(tree, "docs", "notes.txt"), "changed for the incremental backup");
            File.Delete(Path.Combine(tree, "docs", "f3.txt"));
            await File.WriteAllBytesAsync(Path.Combine(tree, "added.bin"), RandomNumberGenerator.GetBytes(70_000));
            Assert.Contains("Errors 0", await Ok(["incremental", .. boto3Options, tree, boto3Url]));

            var status = await Ok(["collection-status", .. boto3Options, boto3Url]);
            Assert.Contains("Number of contained backup sets: 2", status);
            Assert.Contains("No orphaned or incomplete backup sets found.", status);
            Assert.Contains("0 differences found", await Ok(["verify", .. boto3Options, "--compare-data", boto3Url, tree]));

            var restored = Path.Combine(work, "restored");
            await Ok(["restore", .. boto3Options, boto3Url, restored]);
            SameTree(tree, restored);

            var notesThen = Path.Combine(work, "notes-then.txt");
            await Ok(["restore", .. boto3Options, "--time", afterFull.ToString(), "--file-to-restore", "docs/notes.txt", boto3Url, notesThen]);
            Assert.Equal("as it was at the full backup", await File.ReadAllTextAsync(notesThen));

            // Without its cache, duplicity reads the chain's manifests and signatures back from the bucket; a second
            // full backup, then pruning all but it, deletes the first chain's objects.
            Directory.Delete(Path.Combine(work, "cache"), recursive: true);
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.Contains("Errors 0", await Ok(["full", .. boto3Options, tree, boto3Url]));
            await Ok(["remove-all-but-n-full", "1", "--force", .. boto3Options, boto3Url]);
            status = await Ok(["collection-status", .. boto3Options, boto3Url]);
            Assert.Contains("Number of contained backup sets: 1", status);
            var restoredAgain = Path.Combine(work, "restored-again");
            await Ok(["restore", .. boto3Options, boto3Url, restoredAgain]);
            SameTree(tree, restoredAgain);

            var wrong = await Duplicity("not-the-passphrase", ["restore", .. boto3Options, boto3Url, Path.Combine(work, "never")]);
            Assert.NotEqual(0, wrong.Exit);
            Assert.False(Directory.Exists(Path.Combine(work, "never")) && Directory.EnumerateFiles(Path.Combine(work, "never"), "*", SearchOption.AllDirectories).Any());

            // boto 2's backend: path-style at the gateway's own host and port, Signature Version 2.
            var boto2Url = $"s3://{_gateway.DataUrl.Authority}/{GatewayFixture.PrivateBucket}/duplicity-boto2-{Guid.NewGuid():N}";
            var boto2Options = new[] { "--s3-unencrypted-connection", "--volsize", "12" };
            Assert.Contains("Errors 0", await Ok(["full", .. boto2Options, tree, boto2Url]));
            var restoredByBoto2 = Path.Combine(work, "restored-boto2");
            await Ok(["restore", .. boto2Options, boto2Url, restoredByBoto2]);
            SameTree(tree, restoredByBoto2);
        }
        finally
        {
            // GnuPG started an agent for its home directory; it must not outlive the test.
            await ExternalTool.RunAsync("/usr/bin/gpgconf", ["--kill", "gpg-agent"], environment: new Dictionary<string, string> { ["GNUPGHOME"] = gnupg });
        }
    }
}
