using ArchUnitNET.Domain;
using ArchUnitNET.Domain.Extensions;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnit;
using Assembly = System.Reflection.Assembly;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace OriginGateway.Tests.Architecture;

/// <summary>
/// The folders of <c>src/OriginGateway</c> (one namespace each) in the order a request meets them, from
/// the leaves up; a folder may use the ones before it and never one after it, so no two depend on each
/// other in a loop. Checked on the compiled assembly (every type, member and call), not on the text.
/// A new folder must be placed here; the README's layout section lists the same order.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>From the leaves up. The composition root (Hosting, then the entry point) imports every feature; no feature imports it.</summary>
    internal static readonly string[] Layers =
    [
        "Protocol",
        "Configuration",
        "Observability",
        "Lifecycle",
        "Dependencies",
        "Persistence",
        "Coordination",
        "Egress",
        "Storage",
        "Buckets",
        "Security",
        "FrontDoor",
        "Rules",
        "Origins",
        "Tasks",
        "Callbacks",
        "OriginPull",
        "FetchTasks",
        "Vod",
        "Oms",
        "Cors",
        "Multipart",
        "Admin",
        "Hosting",
    ];

    private static readonly ArchUnitNET.Domain.Architecture Gateway =
        new ArchLoader().LoadAssemblies(Assembly.Load("OriginGateway")).Build();

    private static string Namespace(string folder) => "OriginGateway." + folder;

    [Fact]
    public void EveryFolderOfTheGateway_HasItsPlaceInTheLayers()
    {
        var namespaces = Gateway.Namespaces.Select(n => n.FullName)
            .Where(n => n.StartsWith("OriginGateway.", StringComparison.Ordinal))
            .Select(n => n["OriginGateway.".Length..].Split('.')[0])
            .Distinct()
            .ToList();
        Assert.Empty(namespaces.Except(Layers));
        Assert.Empty(Layers.Except(namespaces));
    }

    public static TheoryData<string> Folders() => [.. Layers];

    [Theory]
    [MemberData(nameof(Folders))]
    public void AFolder_UsesNoFolderAboveIt(string folder)
    {
        var above = Layers.SkipWhile(l => l != folder).Skip(1).Select(Namespace).ToArray();
        foreach (var upper in above)
        {
            Types().That().ResideInNamespace(Namespace(folder))
                .Should().NotDependOnAny(Types().That().ResideInNamespace(upper))
                .Because($"{folder} sits below {upper["OriginGateway.".Length..]} in the layers (tests/OriginGateway.Tests/Architecture/LayeringTests.cs)")
                .Check(Gateway);
        }
    }

    [Fact]
    public void TheFolders_AreFreeOfCycles() =>
        ArchUnitNET.Fluent.Slices.SliceRuleDefinition.Slices().Matching("OriginGateway.(*)").Should().BeFreeOfCycles().Check(Gateway);

    /// <summary>The control database is asynchronous: no blocking ADO.NET call anywhere in the gateway.</summary>
    [Fact]
    public void NoCode_CallsTheBlockingAdoNetMethods()
    {
        string[] blocking = ["ExecuteNonQuery()", "ExecuteScalar()", "ExecuteReader()", "Read()", "Open()", "BeginTransaction()", "Commit()", "OpenConnection()"];
        var calls = Gateway.MethodMembers
            .SelectMany(m => m.GetCalledMethods())
            .Where(m => m.DeclaringType.FullName.StartsWith("System.Data.Common.", StringComparison.Ordinal)
                || m.DeclaringType.FullName.StartsWith("Microsoft.Data.Sqlite.", StringComparison.Ordinal)
                || m.DeclaringType.FullName.StartsWith("Npgsql.", StringComparison.Ordinal))
            .Select(m => m.DeclaringType.Name + "." + m.Name)
            .Distinct()
            .ToList();
        Assert.NotEmpty(calls);
        Assert.DoesNotContain(calls, c => blocking.Any(b => c.EndsWith("." + b, StringComparison.Ordinal)));
    }
}
