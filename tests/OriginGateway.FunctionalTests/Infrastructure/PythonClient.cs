namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>Runs a client script from <c>tests/clients</c> with Debian's Python 3 and its boto3 (which the test command installs).</summary>
internal static class PythonClient
{
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string script, params string[] arguments)
    {
        var python = ExternalTool.RequireAt("/usr/bin/python3", "python3-boto3");
        ExternalTool.RequireAt("/usr/lib/python3/dist-packages/boto3/__init__.py", "python3-boto3");
        return ExternalTool.RunAsync(python, [Path.Combine(TestPaths.RepositoryRoot, "tests", "clients", script), .. arguments]);
    }
}
