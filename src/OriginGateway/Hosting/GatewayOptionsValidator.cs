using System.Text.RegularExpressions;
using OriginGateway.Persistence;
using OriginGateway.Security;

namespace OriginGateway.Hosting;

/// <summary>Start-up validation of <see cref="GatewayOptions"/>: every problem, each naming its setting.</summary>
internal static partial class GatewayOptionsValidator
{
    public static IReadOnlyList<string> Validate(GatewayOptions options, bool isProduction)
    {
        var errors = new List<string>();
        var data = CheckEndpoint(options.Endpoints.Data, "Endpoints:Data", errors);
        var control = CheckEndpoint(options.Endpoints.Control, "Endpoints:Control", errors);
        if (data is not null && control is not null && data.Port != 0 && data.Port == control.Port)
        {
            errors.Add("Endpoints:Data and Endpoints:Control must use different ports.");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("DataDirectory must not be empty.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Buckets.Count; i++)
        {
            var bucket = options.Buckets[i];
            var prefix = $"Buckets:{i}";
            if (!BucketName().IsMatch(bucket.Name))
            {
                errors.Add($"{prefix}:Name '{bucket.Name}' is not a bucket name (3-63 lower-case letters, digits and hyphens, e.g. examplebucket-1250000000).");
            }
            else if (!names.Add(bucket.Name))
            {
                errors.Add($"{prefix}:Name '{bucket.Name}' is configured twice.");
            }
            for (var h = 0; h < bucket.Hosts.Count; h++)
            {
                if (string.IsNullOrWhiteSpace(bucket.Hosts[h]) || bucket.Hosts[h].Contains(':', StringComparison.Ordinal) || bucket.Hosts[h].Contains('/', StringComparison.Ordinal))
                {
                    errors.Add($"{prefix}:Hosts:{h} '{bucket.Hosts[h]}' must be a host name without scheme, port or path.");
                }
                else if (!hosts.Add(bucket.Hosts[h]))
                {
                    errors.Add($"{prefix}:Hosts:{h} '{bucket.Hosts[h]}' selects more than one bucket.");
                }
                else if (options.ServiceHostsOrDefault.FirstOrDefault(p => Buckets.BucketRegistry.HostMatches(p, bucket.Hosts[h])) is { } service)
                {
                    errors.Add($"{prefix}:Hosts:{h} '{bucket.Hosts[h]}' is a service host (ServiceHosts '{service}'), where GET / lists buckets.");
                }
            }
            ValidateStorage(bucket.Storage, prefix + ":Storage", errors);
        }
        ValidateCoordination(options.Coordination, errors);
        for (var i = 0; i < options.ServiceHostsOrDefault.Count; i++)
        {
            var host = options.ServiceHostsOrDefault[i];
            if (string.IsNullOrWhiteSpace(host) || host.Contains(':', StringComparison.Ordinal) || host.Contains('/', StringComparison.Ordinal) || host.Count(c => c == '*') > 1)
            {
                errors.Add($"ServiceHosts:{i} '{host}' must be a host name without scheme, port or path, with at most one '*' label.");
            }
        }
        if (options.DefaultBucket.Length > 0 && !names.Contains(options.DefaultBucket))
        {
            errors.Add($"DefaultBucket '{options.DefaultBucket}' is not one of the configured Buckets:N:Name.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Credentials.Count; i++)
        {
            var credential = options.Credentials[i];
            if (string.IsNullOrWhiteSpace(credential.SecretId) || string.IsNullOrEmpty(credential.SecretKey))
            {
                errors.Add($"Credentials:{i} needs both SecretId and SecretKey.");
            }
            else if (!ids.Add(credential.SecretId))
            {
                errors.Add($"Credentials:{i}:SecretId '{credential.SecretId}' is configured twice.");
            }
            if (isProduction && credential.SecretId == CredentialStore.DevelopmentSecretId)
            {
                errors.Add($"Credentials:{i}:SecretId is the published development credential, which is refused in Production.");
            }
        }

        foreach (var (project, token) in options.Oms.Tokens)
        {
            if (string.IsNullOrEmpty(token) || token.Length < 16)
            {
                errors.Add($"Oms:Tokens:{project} must be at least 16 characters.");
            }
            if (isProduction && token == Oms.OmsOptions.DevelopmentToken)
            {
                errors.Add($"Oms:Tokens:{project} is the published development token, which is refused in Production.");
            }
        }
        if (options.Callbacks.Secret.Length > 0 && isProduction && options.Callbacks.Secret == Callbacks.CallbackOptions.DevelopmentSecret)
        {
            errors.Add("Callbacks:Secret is the published development secret, which is refused in Production.");
        }

        if (options.Limits.MaxPutSize <= 0)
        {
            errors.Add("Limits:MaxPutSize must be a positive number of bytes.");
        }
        ValidateEgress(options.Egress, errors);
        ValidateOriginPull(options.OriginPull, errors);
        ValidateTasks(options.Tasks, options.Callbacks, errors);
        ValidateMultipart(options.Multipart, errors);
        ValidateOperations(options, errors);
        ValidateVod(options, errors);
        if (!IsOneOf<DatabaseProvider>(options.Database.Provider))
        {
            errors.Add($"Database:Provider '{options.Database.Provider}' must be Sqlite or Postgres.");
        }
        else if (options.Database.ProviderKind == DatabaseProvider.Postgres && options.Database.ConnectionString.Length == 0)
        {
            errors.Add("Database:ConnectionString must name the PostgreSQL server when Database:Provider is Postgres (Host=…;Port=…;Database=…;Username=…;Password=…).");
        }
        if (options.Database.Timeout < TimeSpan.FromSeconds(1) || options.Database.Timeout > TimeSpan.FromMinutes(5))
        {
            errors.Add($"Database:Timeout {options.Database.Timeout} must be from 1 second to 5 minutes.");
        }
        return errors;
    }

    private static void ValidateEgress(Egress.EgressOptions egress, List<string> errors)
    {
        for (var i = 0; i < egress.AllowedNetworks.Count; i++)
        {
            if (Egress.EgressAddressClassifier.CheckNetwork(egress.AllowedNetworks[i]) is { } problem)
            {
                errors.Add($"Egress:AllowedNetworks:{i} {problem}");
            }
        }
        for (var i = 0; i < egress.DeniedNetworks.Count; i++)
        {
            if (Egress.EgressAddressClassifier.CheckNetwork(egress.DeniedNetworks[i]) is { } problem)
            {
                errors.Add($"Egress:DeniedNetworks:{i} {problem}");
            }
        }
        for (var i = 0; i < egress.AllowedPorts?.Count; i++)
        {
            var port = egress.AllowedPorts[i];
            if (port != "*" && !(int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65536))
            {
                errors.Add($"Egress:AllowedPorts:{i} '{port}' must be a port number (1-65535) or * (any port).");
            }
        }
    }

    private static void ValidateVod(GatewayOptions options, List<string> errors)
    {
        var vod = options.Vod;
        foreach (var (section, map) in new[] { ("Vod:Buckets", vod.Buckets), ("Vod:RegionBuckets", vod.RegionBuckets) })
        {
            foreach (var (key, bucket) in map)
            {
                if (!options.Buckets.Any(b => b.Name == bucket))
                {
                    errors.Add($"{section}:{key} names '{bucket}', which is not a configured bucket.");
                }
            }
        }
        if (vod.MaxHlsFiles is < 1 or > 1_000_000)
        {
            errors.Add("Vod:MaxHlsFiles must be 1..1000000.");
        }
        if (vod.RequestsPerSecond < 1)
        {
            errors.Add("Vod:RequestsPerSecond must be at least 1.");
        }
        if (vod.EventCallbackUrl.Length > 0 && Tasks.TaskUrl.Parse(vod.EventCallbackUrl, schemeOptional: false, out var error) is null)
        {
            errors.Add($"Vod:EventCallbackUrl {error} (an absolute http or https URL is required).");
        }
    }

    private static void ValidateTasks(Tasks.TaskOptions t, Callbacks.CallbackOptions c, List<string> errors)
    {
        if (t.Workers is < 1 or > 256)
        {
            errors.Add("Tasks:Workers must be 1..256.");
        }
        if (t.PerHostLimit < 1)
        {
            errors.Add("Tasks:PerHostLimit must be at least 1.");
        }
        if (t.MaxAttempts is < 1 or > 100)
        {
            errors.Add("Tasks:MaxAttempts must be 1..100.");
        }
        Range(errors, t.Lease, "Tasks:Lease", TimeSpan.FromSeconds(3), TimeSpan.FromHours(1));
        Range(errors, t.RetryBase, "Tasks:RetryBase", TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(errors, t.RetryCap, "Tasks:RetryCap", t.RetryBase, TimeSpan.FromDays(1));
        Range(errors, t.Retention, "Tasks:Retention", TimeSpan.FromMinutes(1), TimeSpan.FromDays(3650));
        Range(errors, t.PollInterval, "Tasks:PollInterval", TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1));
        if (c.MaxAttempts is < 1 or > 100)
        {
            errors.Add("Callbacks:MaxAttempts must be 1..100.");
        }
        Range(errors, c.RetryBase, "Callbacks:RetryBase", TimeSpan.Zero, TimeSpan.FromHours(1));
        Range(errors, c.RetryCap, "Callbacks:RetryCap", c.RetryBase, TimeSpan.FromDays(1));
        Range(errors, c.Timeout, "Callbacks:Timeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
    }

    private static void ValidateMultipart(Multipart.MultipartOptions m, List<string> errors)
    {
        Range(errors, m.AbandonAfter, "Multipart:AbandonAfter", TimeSpan.FromSeconds(1), TimeSpan.FromDays(3650));
        Range(errors, m.SweepInterval, "Multipart:SweepInterval", TimeSpan.FromMilliseconds(100), TimeSpan.FromDays(1));
    }

    private static void ValidateOperations(GatewayOptions options, List<string> errors)
    {
        Range(errors, options.Shutdown.GracePeriod, "Shutdown:GracePeriod", TimeSpan.Zero, TimeSpan.FromMinutes(10));
        for (var i = 0; i < options.ForwardedHeaders.KnownProxies.Count; i++)
        {
            if (!System.Net.IPAddress.TryParse(options.ForwardedHeaders.KnownProxies[i], out _))
            {
                errors.Add($"ForwardedHeaders:KnownProxies:{i} '{options.ForwardedHeaders.KnownProxies[i]}' is not an IP address.");
            }
        }
    }

    /// <summary>A duration setting must lie in [min, max].</summary>
    private static void Range(List<string> errors, TimeSpan value, string name, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{name} {value} is outside {min} .. {max} (write durations as hh:mm:ss or d.hh:mm:ss).");
        }
    }

    private static void ValidateOriginPull(Origins.OriginPullOptions o, List<string> errors)
    {
        Range(errors, o.ConnectTimeout, "OriginPull:ConnectTimeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5));
        Range(errors, o.ResponseHeadersTimeout, "OriginPull:ResponseHeadersTimeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(errors, o.BodyIdleTimeout, "OriginPull:BodyIdleTimeout", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(errors, o.NegativeCacheTtl, "OriginPull:NegativeCacheTtl", TimeSpan.Zero, TimeSpan.FromDays(1));
        Range(errors, o.CoolDown, "OriginPull:CoolDown", TimeSpan.Zero, TimeSpan.FromHours(1));
        if (o.MaxRedirects is < 0 or > 20)
        {
            errors.Add("OriginPull:MaxRedirects must be 0..20.");
        }
        if (o.FailureThreshold < 1)
        {
            errors.Add("OriginPull:FailureThreshold must be at least 1.");
        }
        if (o.PerHostConcurrency < 1)
        {
            errors.Add("OriginPull:PerHostConcurrency must be at least 1.");
        }
        if (o.MaxObjectSize < 1)
        {
            errors.Add("OriginPull:MaxObjectSize must be a positive number of bytes.");
        }
    }

    private static Uri? CheckEndpoint(string value, string setting, List<string> errors)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/"
            || uri.IsDefaultPort && !value.Contains(uri.Scheme == "http" ? ":80" : ":443", StringComparison.Ordinal))
        {
            errors.Add($"{setting} '{value}' must be an http or https URL with an explicit port, e.g. http://127.0.0.1:8080.");
            return null;
        }
        return uri;
    }

    private static void ValidateCoordination(Coordination.CoordinationOptions coordination, List<string> errors)
    {
        var hasRedis = !string.IsNullOrWhiteSpace(coordination.Redis);
        if (coordination.Provider.Length > 0 && !IsOneOf<Coordination.CoordinationProvider>(coordination.Provider))
        {
            errors.Add($"Coordination:Provider '{coordination.Provider}' is not one of Local, Redis (or leave it empty).");
            return;
        }
        switch (coordination.Provider.Length == 0 ? (Coordination.CoordinationProvider?)null : Enum.Parse<Coordination.CoordinationProvider>(coordination.Provider, ignoreCase: true))
        {
            case null or Coordination.CoordinationProvider.Local when !hasRedis:
                return;
            case Coordination.CoordinationProvider.Local:
                // Never a silent single-process gateway while the operator believes replicas share state.
                errors.Add("Coordination:Provider is Local but Coordination:Redis is set: remove Coordination:Provider (a connection string alone turns Redis on) or remove Coordination:Redis.");
                return;
            case Coordination.CoordinationProvider.Redis when !hasRedis:
                errors.Add("Coordination:Redis is not set although Coordination:Provider is Redis: give the connection string (host:port[,user=…,password=…,ssl=true]).");
                break;
            default:
                try
                {
                    StackExchange.Redis.ConfigurationOptions.Parse(coordination.Redis);
                }
                catch (ArgumentException e)
                {
                    errors.Add($"Coordination:Redis does not parse: {e.Message}");
                }
                break;
        }
        foreach (var (name, path) in new[] { ("TlsCaCertificate", coordination.TlsCaCertificate), ("TlsClientCertificate", coordination.TlsClientCertificate), ("TlsClientKey", coordination.TlsClientKey) })
        {
            if (path.Length > 0 && !File.Exists(path))
            {
                errors.Add($"Coordination:{name} names '{path}', which is not a file.");
            }
        }
        if ((coordination.TlsClientCertificate.Length > 0) != (coordination.TlsClientKey.Length > 0))
        {
            errors.Add("Coordination:TlsClientCertificate and Coordination:TlsClientKey go together: give both or neither.");
        }
        if (coordination.FillLockTtl < TimeSpan.FromSeconds(1))
        {
            errors.Add("Coordination:FillLockTtl must be at least 1 second.");
        }
        if (coordination.OperationTimeout <= TimeSpan.Zero || coordination.BreakerOpenFor <= TimeSpan.Zero || coordination.BreakerFailures < 1)
        {
            errors.Add("Coordination:OperationTimeout and Coordination:BreakerOpenFor must be positive, Coordination:BreakerFailures at least 1.");
        }
    }

    private static void ValidateStorage(Storage.StorageOptions storage, string prefix, List<string> errors)
    {
        if (!IsOneOf<Storage.StorageKind>(storage.Kind))
        {
            errors.Add($"{prefix}:Kind '{storage.Kind}' is not one of FileSystem, S3.");
            return;
        }
        if (storage.StoreKind == Storage.StorageKind.FileSystem)
        {
            return;
        }
        if (!Uri.TryCreate(storage.ServiceUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            errors.Add($"{prefix}:ServiceUrl '{storage.ServiceUrl}' must be an absolute http(s) URL of the S3 endpoint.");
        }
        if (string.IsNullOrEmpty(storage.BucketName))
        {
            errors.Add($"{prefix}:BucketName is required for S3 storage.");
        }
        if (string.IsNullOrEmpty(storage.AccessKey) || string.IsNullOrEmpty(storage.SecretKey))
        {
            errors.Add($"{prefix}:AccessKey and {prefix}:SecretKey are required for S3 storage.");
        }
        if (storage.Prefix.StartsWith(storage.UploadsPrefix, StringComparison.Ordinal) || storage.UploadsPrefix.StartsWith(storage.Prefix, StringComparison.Ordinal))
        {
            errors.Add($"{prefix}:Prefix '{storage.Prefix}' and {prefix}:UploadsPrefix '{storage.UploadsPrefix}' overlap: parts would be listed as objects.");
        }
        foreach (var (name, other) in new[] { ("Prefix", storage.Prefix), ("UploadsPrefix", storage.UploadsPrefix) })
        {
            if (storage.AttributesPrefix.Length == 0 || storage.AttributesPrefix.StartsWith(other, StringComparison.Ordinal) || other.StartsWith(storage.AttributesPrefix, StringComparison.Ordinal))
            {
                errors.Add($"{prefix}:AttributesPrefix '{storage.AttributesPrefix}' and {prefix}:{name} '{other}' overlap: attribute objects would be listed as objects or parts.");
            }
        }
        if (storage.PartSize is < 5L * 1024 * 1024 or > 5L * 1024 * 1024 * 1024)
        {
            errors.Add($"{prefix}:PartSize {storage.PartSize} must be from 5 MiB to 5 GiB (S3's part limits).");
        }
        if (storage.Timeout < TimeSpan.FromMilliseconds(100) || storage.Timeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"{prefix}:Timeout {storage.Timeout} must be from 100 ms to 10 minutes.");
        }
        if (storage.StaleUploadsAfter < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{prefix}:StaleUploadsAfter {storage.StaleUploadsAfter} must be at least 1 second.");
        }
        if (storage.CacheTtl < TimeSpan.Zero)
        {
            errors.Add($"{prefix}:CacheTtl must not be negative.");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();

    /// <summary>Whether <paramref name="value"/> names a member of <typeparamref name="T"/> (any case; never a number).</summary>
    private static bool IsOneOf<T>(string value) where T : struct, Enum =>
        Enum.GetNames<T>().Contains(value, StringComparer.OrdinalIgnoreCase);
}
