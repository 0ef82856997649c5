using OriginGateway.Configuration;

namespace OriginGateway.Coordination;

/// <summary>Checks the Coordination settings at start: every problem, each naming its setting.</summary>
internal sealed class CoordinationOptionsValidator : SettingsValidator<CoordinationOptions>
{
    protected override void Check(CoordinationOptions options, List<string> problems)
    {
        var hasRedis = !string.IsNullOrWhiteSpace(options.Redis);
        if (options.Provider.Length > 0 && !IsOneOf<CoordinationProvider>(options.Provider))
        {
            problems.Add($"Coordination:Provider '{options.Provider}' is not one of Local, Redis (or leave it empty).");
            return;
        }
        switch (options.Provider.Length == 0 ? (CoordinationProvider?)null : Enum.Parse<CoordinationProvider>(options.Provider, ignoreCase: true))
        {
            case null or CoordinationProvider.Local when !hasRedis:
                return;
            case CoordinationProvider.Local:
                // Never a silent single-process gateway while the operator believes replicas share state.
                problems.Add("Coordination:Provider is Local but Coordination:Redis is set: remove Coordination:Provider (a connection string alone turns Redis on) or remove Coordination:Redis.");
                return;
            case CoordinationProvider.Redis when !hasRedis:
                problems.Add("Coordination:Redis is not set although Coordination:Provider is Redis: give the connection string (host:port[,user=…,password=…,ssl=true]).");
                break;
            default:
                try
                {
                    StackExchange.Redis.ConfigurationOptions.Parse(options.Redis);
                }
                catch (ArgumentException e)
                {
                    problems.Add($"Coordination:Redis does not parse: {e.Message}");
                }
                break;
        }
        foreach (var (name, path) in new[] { ("TlsCaCertificate", options.TlsCaCertificate), ("TlsClientCertificate", options.TlsClientCertificate), ("TlsClientKey", options.TlsClientKey) })
        {
            if (path.Length > 0 && !File.Exists(path))
            {
                problems.Add($"Coordination:{name} names '{path}', which is not a file.");
            }
        }
        if ((options.TlsClientCertificate.Length > 0) != (options.TlsClientKey.Length > 0))
        {
            problems.Add("Coordination:TlsClientCertificate and Coordination:TlsClientKey go together: give both or neither.");
        }
        if (options.FillLockTtl < TimeSpan.FromSeconds(1))
        {
            problems.Add("Coordination:FillLockTtl must be at least 1 second.");
        }
        if (options.OperationTimeout <= TimeSpan.Zero || options.BreakerOpenFor <= TimeSpan.Zero || options.BreakerFailures < 1)
        {
            problems.Add("Coordination:OperationTimeout and Coordination:BreakerOpenFor must be positive, Coordination:BreakerFailures at least 1.");
        }
    }
}
