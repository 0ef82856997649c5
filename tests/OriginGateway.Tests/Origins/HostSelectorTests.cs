using System.Text;
using OriginGateway.Origins;
using OriginGateway.Rules;

namespace OriginGateway.Tests.Origins;

public sealed class HostSelectorTests
{
    private static readonly CompiledRule Parsed = new CompiledRuleSet(OriginConfigurationXml.Parse(Encoding.UTF8.GetBytes("""
        <OriginConfiguration><OriginRule><RulePriority>1</RulePriority><OriginType>Mirror</OriginType>
        <OriginInfo><HostInfo><HostName>heavy:80</HostName><Weight>3</Weight><StandbyHostName_1>heavy-standby:80</StandbyHostName_1></HostInfo>
        <HostInfo><HostName>light:80</HostName><Weight>1</Weight></HostInfo></OriginInfo></OriginRule></OriginConfiguration>
        """)).Configuration).Rules[0];

    private static CompiledRule Rule() => Parsed;

    private readonly ManualTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly OriginPullOptions _options = new() { FailureThreshold = 2, CoolDown = TimeSpan.FromSeconds(30) };

    [Fact]
    public void Candidates_AreTheChosenHostThenItsStandbys()
    {
        var selector = new HostSelector(new HostHealth(_options, _time));
        var seen = Enumerable.Range(0, 200).Select(_ => selector.Candidates(Rule())).ToList();

        Assert.Contains(seen, c => c.SequenceEqual(["heavy:80", "heavy-standby:80"]));
        Assert.Contains(seen, c => c.SequenceEqual(["light:80"]));
    }

    [Fact]
    public void Choice_FollowsWeights()
    {
        var selector = new HostSelector(new HostHealth(_options, _time));

        var heavy = Enumerable.Range(0, 4000).Count(_ => selector.Candidates(Rule())[0] == "heavy:80");

        Assert.InRange(heavy / 4000.0, 0.68, 0.82);
    }

    [Fact]
    public void FailingHost_IsLeftOutForTheCoolDown_UnlessEveryHostIs()
    {
        var health = new HostHealth(_options, _time);
        var selector = new HostSelector(health);
        health.Failed("heavy:80");
        health.Failed("heavy:80");

        Assert.All(Enumerable.Range(0, 50), _ => Assert.Equal("light:80", selector.Candidates(Rule())[0]));

        health.Failed("light:80");
        health.Failed("light:80");
        Assert.Contains(Enumerable.Range(0, 100).Select(_ => selector.Candidates(Rule())[0]), h => h == "heavy:80");

        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.True(health.IsAvailable("heavy:80"));
    }

    [Fact]
    public void Success_ResetsTheFailureCount()
    {
        var health = new HostHealth(_options, _time);
        health.Failed("h");
        health.Succeeded("h");
        health.Failed("h");

        Assert.True(health.IsAvailable("h"));
    }
}
