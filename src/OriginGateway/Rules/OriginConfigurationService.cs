using System.Text;
using Microsoft.Extensions.Logging;
using OriginGateway.Buckets;
using OriginGateway.Egress;
using OriginGateway.Observability;
using OriginGateway.Persistence;
using OriginGateway.Storage;

namespace OriginGateway.Rules;

/// <summary>
/// Owns each bucket's origin configuration: parse → validate → store → compile → swap. Start-up
/// loads the stored configurations, and a bucket's rule file, when it exists, replaces its stored
/// configuration at every start.
/// </summary>
internal sealed partial class OriginConfigurationService
{
    private readonly BucketRegistry buckets;
    private readonly OriginConfigurationRepository repository;
    private readonly EgressGuard egress;
    private readonly Coordination.IClusterBus bus;
    private readonly ILogger<OriginConfigurationService> logger;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, CompiledRuleSet> _rules = new(StringComparer.Ordinal);

    /// <summary>Other replicas' changes arrive on <paramref name="bus"/> and are reloaded from the control database.</summary>
    public OriginConfigurationService(BucketRegistry buckets, OriginConfigurationRepository repository, EgressGuard egress, Coordination.IClusterBus bus, ILogger<OriginConfigurationService> logger)
    {
        this.buckets = buckets;
        this.repository = repository;
        this.egress = egress;
        this.bus = bus;
        this.logger = logger;
        bus.Received += message =>
        {
            if (message.Kind == Coordination.ClusterMessageKind.OriginChanged && buckets.Find(message.Scope) is { } bucket)
            {
                Dependencies.DatabaseRetry.InBackground(token => ReloadAsync(bucket, token));
            }
        };
        bus.Reconnected += () =>
        {
            foreach (var bucket in buckets.All)
            {
                Dependencies.DatabaseRetry.InBackground(token => ReloadAsync(bucket, token));
            }
        };
    }

    /// <summary>Activates what the control database holds for the bucket (another replica changed it).</summary>
    private async Task ReloadAsync(Bucket bucket, CancellationToken cancellationToken)
    {
        var stored = await repository.GetAsync(bucket.Name, cancellationToken).ConfigureAwait(false);
        var parsed = stored is null ? null : OriginConfigurationXml.Parse(Encoding.UTF8.GetBytes(stored));
        var rules = parsed is { IsValid: true } ? new CompiledRuleSet(parsed.Configuration) : CompiledRuleSet.Empty;
        _rules[bucket.Name] = rules;
        LogReloaded(logger, bucket.Name, rules.Rules.Count);
    }

    /// <summary>Parses, validates, and refuses origin hosts that are literal IPs the egress guard denies.</summary>
    public OriginConfigurationParseResult Parse(ReadOnlySpan<byte> document)
    {
        var result = OriginConfigurationXml.Parse(document);
        if (!result.IsValid)
        {
            return result;
        }
        var errors = new List<string>();
        for (var r = 0; r < result.Configuration!.Rules.Count; r++)
        {
            var hosts = result.Configuration.Rules[r].Info.Hosts;
            for (var h = 0; h < hosts.Count; h++)
            {
                foreach (var (name, path) in hosts[h].StandbyHostNames.Select((s, i) => (s, $"StandbyHostName_{i + 1}")).Prepend((hosts[h].HostName, "HostName")))
                {
                    if (egress.CheckLiteralHost(OriginConfigurationValidator.HostPart(name)) is { } problem)
                    {
                        errors.Add($"OriginRule[{r + 1}]/OriginInfo/HostInfo[{h + 1}]/{path}: {problem}.");
                    }
                }
            }
        }
        return errors.Count == 0 ? result : new OriginConfigurationParseResult(null, errors, false);
    }

    /// <summary>Loads every bucket's rules. Returns the problems that must stop start-up (an invalid rule file).</summary>
    public async Task<IReadOnlyList<string>> LoadAllAsync(CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        foreach (var bucket in buckets.All)
        {
            if (File.Exists(bucket.OriginFile))
            {
                var result = Parse(File.ReadAllBytes(bucket.OriginFile));
                if (!result.IsValid)
                {
                    problems.Add($"Buckets ({bucket.Name}) OriginFile {bucket.OriginFile}: {result.ErrorCode}: {string.Join("; ", result.Errors)}");
                    continue;
                }
                await ApplyAsync(bucket, result.Configuration!, bucket.OriginFile, cancellationToken).ConfigureAwait(false);
                LogLoadedFromFile(logger, bucket.Name, result.Configuration!.Rules.Count, bucket.OriginFile);
                continue;
            }

            var stored = await repository.GetAsync(bucket.Name, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                _rules[bucket.Name] = CompiledRuleSet.Empty;
                continue;
            }
            var parsed = OriginConfigurationXml.Parse(Encoding.UTF8.GetBytes(stored));
            if (parsed.IsValid)
            {
                _rules[bucket.Name] = new CompiledRuleSet(parsed.Configuration);
            }
            else
            {
                problems.Add($"the stored origin configuration of bucket {bucket.Name} no longer validates: {parsed.Message}");
            }
        }
        return problems;
    }

    /// <summary>The stored document, or null when the bucket has no configuration.</summary>
    /// <summary>The bucket's origin rules in force on this replica (none until loaded).</summary>
    public CompiledRuleSet RulesOf(Bucket bucket) => _rules.GetValueOrDefault(bucket.Name, CompiledRuleSet.Empty);

    public Task<string?> GetDocumentAsync(Bucket bucket, CancellationToken cancellationToken) => repository.GetAsync(bucket.Name, cancellationToken);

    /// <summary>Parses and, when valid, stores and activates a configuration.</summary>
    public async Task<OriginConfigurationParseResult> PutAsync(Bucket bucket, byte[] document, CancellationToken cancellationToken)
    {
        var result = Parse(document);
        if (result.IsValid)
        {
            await ApplyAsync(bucket, result.Configuration!, "api", cancellationToken).ConfigureAwait(false);
            bus.Publish(new Coordination.ClusterMessage(Coordination.ClusterMessageKind.OriginChanged, bucket.Name, ""));
            LogReplaced(logger, bucket.Name, result.Configuration!.Rules.Count);
        }
        return result;
    }

    public async Task DeleteAsync(Bucket bucket, CancellationToken cancellationToken)
    {
        await repository.DeleteAsync(bucket.Name, cancellationToken).ConfigureAwait(false);
        _rules[bucket.Name] = CompiledRuleSet.Empty;
        bus.Publish(new Coordination.ClusterMessage(Coordination.ClusterMessageKind.OriginChanged, bucket.Name, ""));
        LogDeleted(logger, bucket.Name);
    }

    private async Task ApplyAsync(Bucket bucket, OriginConfiguration configuration, string source, CancellationToken cancellationToken)
    {
        await repository.PutAsync(bucket.Name, OriginConfigurationXml.Write(configuration), source, cancellationToken).ConfigureAwait(false);
        _rules[bucket.Name] = new CompiledRuleSet(configuration);
    }

    [LoggerMessage(EventId = LogEvents.OriginRulesReloaded, Level = LogLevel.Information, Message = "Bucket {Bucket}: origin configuration reloaded after another replica changed it ({Count} rule(s))")]
    private static partial void LogReloaded(ILogger logger, string bucket, int count);

    [LoggerMessage(EventId = LogEvents.OriginRulesLoadedFromFile, Level = LogLevel.Information, Message = "Bucket {Bucket}: {Count} origin rule(s) loaded from {File}; it replaces the stored configuration until the next start")]
    private static partial void LogLoadedFromFile(ILogger logger, string bucket, int count, string file);

    [LoggerMessage(EventId = LogEvents.OriginRulesReplaced, Level = LogLevel.Information, Message = "Bucket {Bucket}: origin configuration replaced ({Count} rule(s))")]
    private static partial void LogReplaced(ILogger logger, string bucket, int count);

    [LoggerMessage(EventId = LogEvents.OriginRulesDeleted, Level = LogLevel.Information, Message = "Bucket {Bucket}: origin configuration deleted")]
    private static partial void LogDeleted(ILogger logger, string bucket);
}
