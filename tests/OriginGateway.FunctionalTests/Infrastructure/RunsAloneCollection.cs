namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// Tests that time one of the gateway's own deadlines in this test process (not in a gateway process of their own), and
/// tests that load the machine enough to push other tests past their deadlines (a flood of connections). They run alone,
/// after the others: with two cores shared by every test class running at once, the test process's thread pool and timers
/// can fall a second behind, and a timing test would measure that instead of the deadline.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAloneCollection
{
    public const string Name = "Runs alone: times a deadline in this process";
}
