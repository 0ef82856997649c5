using OriginGateway.Storage;

namespace OriginGateway.Tests.Storage;

public sealed class StagingFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("og-staging-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void MoveNoReplace_MovesTheFile()
    {
        var source = Write("staged", "body");
        var destination = Path.Combine(_root, "object");

        StagingFiles.MoveNoReplace(source, destination);

        Assert.False(File.Exists(source));
        Assert.Equal("body", File.ReadAllText(destination));
    }

    [Fact]
    public void MoveNoReplace_NeverReplacesAnExistingFile_AndKeepsBoth()
    {
        var source = Write("staged", "new");
        var destination = Write("object", "old");

        Assert.ThrowsAny<IOException>(() => StagingFiles.MoveNoReplace(source, destination));

        Assert.Equal("old", File.ReadAllText(destination));
        Assert.Equal("new", File.ReadAllText(source));
    }

    [Fact]
    public void MoveNoReplace_IntoAMissingDirectory_IsAnIOException()
    {
        var source = Write("staged", "body");

        Assert.ThrowsAny<IOException>(() => StagingFiles.MoveNoReplace(source, Path.Combine(_root, "gone", "object")));

        Assert.True(File.Exists(source));
    }

    [Fact]
    public void MoveNoReplace_OfAMissingSource_IsAnIOException() =>
        Assert.ThrowsAny<IOException>(() => StagingFiles.MoveNoReplace(Path.Combine(_root, "nothing"), Path.Combine(_root, "object")));

    [Fact]
    public void NewPath_IsInTheDirectory_AndNeverRepeats()
    {
        var paths = Enumerable.Range(0, 1000).AsParallel().Select(_ => StagingFiles.NewPath(_root)).ToList();

        Assert.Equal(paths.Count, paths.Distinct(StringComparer.Ordinal).Count());
        Assert.All(paths, p =>
        {
            Assert.Equal(_root, Path.GetDirectoryName(p));
            Assert.EndsWith(".tmp", p, StringComparison.Ordinal);
        });
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_root, name);
        File.WriteAllText(path, content);
        return path;
    }
}
