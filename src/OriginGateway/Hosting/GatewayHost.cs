using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OriginGateway.FrontDoor;
using OriginGateway.Lifecycle;
using OriginGateway.Observability;
using OriginGateway.Persistence;

namespace OriginGateway.Hosting;

/// <summary>Builds and runs the gateway: configuration → validation → services → start-up loading (<see cref="StartupLoad"/>) → listeners.</summary>
internal static partial class GatewayHost
{
    /// <summary>Runs until shut down. Exit codes: 0 normal, 1 start-up failure, 2 invalid configuration.</summary>
    public static async Task<int> RunAsync(string[] configurationArgs, TextWriter output, TextWriter error)
    {
        // Checked before anything else is loaded: short of descriptors the runtime fails to load an assembly and says
        // the file is missing, or aborts with "Out of memory." under the first burst of connections.
        var openFileLimit = OpenFileBudget.RaiseToHardLimit();
        if (openFileLimit < OpenFileBudget.Minimum)
        {
            await error.WriteLineAsync($"Cannot start: the open-file limit is {openFileLimit}; the gateway needs at least {OpenFileBudget.Minimum} (raise it: ulimit -n, systemd LimitNOFILE=, docker run --ulimit nofile=).").ConfigureAwait(false);
            return 1;
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = configurationArgs,
            // appsettings*.json travel with the binaries; data paths still resolve against the working directory.
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = BuildDefaultEnvironment(configurationArgs),
        });

        GatewayOptions options;
        try
        {
            options = builder.Configuration.Get<GatewayOptions>() ?? new GatewayOptions();
        }
        catch (InvalidOperationException e)
        {
            await error.WriteLineAsync($"Invalid configuration: {e.Message}{(e.InnerException is { } inner ? " " + inner.Message : "")}").ConfigureAwait(false);
            return 2;
        }

        // The slim builder brings the simple console format only; Logging:Console:FormatterName picks another.
        var logFormat = builder.Configuration["Logging:Console:FormatterName"]?.ToLowerInvariant();
        switch (logFormat)
        {
            case "json":
                builder.Logging.AddJsonConsole();
                break;
            case "systemd":
                builder.Logging.AddSystemdConsole();
                break;
        }
        builder.Services.AddOriginGateway(builder.Configuration, options);
        // Every feature's settings are checked before anything is built, opened or created — in a provider that only
        // reads settings — so every problem of every feature is listed at once, with exit code 2.
        IReadOnlyList<string> problems;
        EndpointsOptions endpoints;
        await using (var settings = builder.Services.BuildServiceProvider())
        {
            problems = await SettingsProblemsAsync(settings).ConfigureAwait(false);
            // The listeners as bound and checked there (read only when every setting is valid).
            endpoints = problems.Count == 0 ? settings.GetRequiredService<EndpointsOptions>() : new EndpointsOptions();
        }
        if (problems.Count > 0)
        {
            await error.WriteLineAsync("Invalid configuration:").ConfigureAwait(false);
            foreach (var problem in problems)
            {
                await error.WriteLineAsync("  " + problem).ConfigureAwait(false);
            }
            return 2;
        }
        X509Certificate2? certificate = null;
        if (endpoints.Data.StartsWith("https:", StringComparison.OrdinalIgnoreCase) || endpoints.Control.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
        {
            if (LoadCertificate(builder.Configuration.GetSection("Kestrel:Certificates:Default"), out var certificateError) is not { } loaded)
            {
                await error.WriteLineAsync("Invalid configuration:\n  " + certificateError).ConfigureAwait(false);
                return 2;
            }
            certificate = loaded;
        }
        builder.Services.AddOptions<HostOptions>().Configure<ShutdownOptions>((host, shutdown) =>
        {
            host.ShutdownTimeout = shutdown.GracePeriod + TimeSpan.FromSeconds(5);
            // Every background loop outlives its dependencies' outages by itself; none may ever stop the host.
            host.BackgroundServiceExceptionBehavior = BackgroundServiceExceptionBehavior.Ignore;
        });
        var binding = new EndpointBinding(endpoints, certificate);
        builder.Services.AddSingleton(binding);
        // Connections read and write through 32 KiB blocks (a request body in 32 KiB reads, not 4 KiB ones).
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>, ConnectionMemoryPoolFactory>();
        int? derivedConnectionCap = null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Header values go out as the UTF-8 they came in as (Kestrel decodes requests' as UTF-8; the origin client
            // decodes origins' so too): a stored Content-Disposition with a Chinese file name, an x-cos-meta-* value or an
            // origin's header that is not ASCII is served byte for byte, where ASCII-only responses failed every read.
            kestrel.ResponseHeaderEncodingSelector = static _ => System.Text.Encoding.UTF8;
            // Kestrel:Limits:* (header size and count, header and keep-alive timeouts, connections) as
            // ASP.NET Core documents them; the body limit is the gateway's own Limits:MaxPutSize.
            builder.Configuration.GetSection("Kestrel:Limits").Bind(kestrel.Limits);
            kestrel.Limits.MaxRequestBodySize = kestrel.ApplicationServices.GetRequiredService<LimitsOptions>().MaxPutSize;
            if (kestrel.Limits.MaxConcurrentConnections is null && openFileLimit is { } limit)
            {
                derivedConnectionCap = OpenFileBudget.ConnectionsFor(limit, OpenFileBudget.OpenNow());
                kestrel.Limits.MaxConcurrentConnections = derivedConnectionCap;
            }
            binding.Configure(kestrel);
        });

        // Store reads and writes run inline on request threads (page-cache I/O is shorter than a hand-off):
        // a burst of them — a herd, a slow disk — must not wait for the pool to grow a thread at a time.
        ThreadPool.GetMinThreads(out var workers, out var completion);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), completion);

        var app = builder.Build();
        var waitForDatabase = false;
        try
        {
            var ruleProblems = await StartupLoad.LoadAsync(app.Services, CancellationToken.None).ConfigureAwait(false);
            if (ruleProblems.Count > 0)
            {
                await error.WriteLineAsync("Cannot start: invalid bucket configuration:").ConfigureAwait(false);
                foreach (var problem in ruleProblems)
                {
                    await error.WriteLineAsync("  " + problem).ConfigureAwait(false);
                }
                return 1;
            }
        }
        catch (Exception e) when (app.Services.GetRequiredService<ControlDatabase>().IsOutage(e))
        {
            // Away for a while (down, frozen, restarting, locked): listen, answer 503 and retry — see StartupLoad.
            StartupLoad.Hold(app.Services, e);
            waitForDatabase = true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Data.Common.DbException)
        {
            await error.WriteLineAsync($"Cannot start: {StartupLoad.Describe(e)} (DataDirectory: {options.DataDirectoryFullPath})").ConfigureAwait(false);
            return 1;
        }

        if (app.Services.GetRequiredService<Callbacks.CallbackOptions>().Secret.Length == 0)
        {
            LogUnsignedCallbacks(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OriginGateway.Callbacks"));
        }
        app.MapOriginGateway();
        var jsonLogs = logFormat == "json";
        var startupLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OriginGateway");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            if (derivedConnectionCap is { } cap && openFileLimit is { } limit)
            {
                var level = cap < OpenFileBudget.Comfortable ? LogLevel.Warning : LogLevel.Information;
                LogConnectionCap(startupLogger, level, cap, limit);
            }
            if (jsonLogs)
            {
                // Structured logs stay machine-readable: the banner is one event.
                LogListening(startupLogger, app.Environment.EnvironmentName, binding.DataUrl, binding.ControlUrl, options.DataDirectoryFullPath);
            }
            else
            {
                PrintBanner(output, options, binding, app.Environment.EnvironmentName);
            }
        });
        string? cannotStart = null;
        if (waitForDatabase)
        {
            _ = Task.Run(async () =>
            {
                if (await StartupLoad.WaitForDatabaseAsync(app.Services, app.Lifetime.ApplicationStopping).ConfigureAwait(false) is { } reason)
                {
                    cannotStart = reason;
                    LogCannotStart(startupLogger, reason);
                    app.Lifetime.StopApplication();
                }
            });
        }
        try
        {
            await app.RunAsync().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await error.WriteLineAsync($"Cannot listen: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        if (cannotStart is not null)
        {
            await error.WriteLineAsync($"Cannot start: {cannotStart} (DataDirectory: {options.DataDirectoryFullPath})").ConfigureAwait(false);
            return 1;
        }
        return 0;
    }

    /// <summary>
    /// Runs every feature's <c>ValidateOnStart</c> check (each binds its own section and lists its own problems);
    /// returns every problem of every feature, or a setting that does not even convert, and those of Kestrel's limits.
    /// </summary>
    internal static async Task<IReadOnlyList<string>> SettingsProblemsAsync(IServiceProvider services) =>
        [.. await FeatureProblemsAsync(services).ConfigureAwait(false), .. KestrelLimitsProblems(services.GetRequiredService<IConfiguration>())];

    private static async Task<IEnumerable<string>> FeatureProblemsAsync(IServiceProvider services)
    {
        try
        {
            await services.GetRequiredService<IAsyncStartupValidator>().ValidateAsync().ConfigureAwait(false);
            return [];
        }
        catch (OptionsValidationException e)
        {
            return e.Failures;
        }
        catch (AggregateException e)
        {
            return e.Flatten().InnerExceptions.SelectMany(inner => inner is OptionsValidationException failed ? failed.Failures : [inner.Message]);
        }
        catch (InvalidOperationException e)
        {
            return [e.Message + (e.InnerException is { } inner ? " " + inner.Message : "")];
        }
    }

    /// <summary>
    /// Kestrel:Limits:* are Kestrel's own settings, bound when the server starts: one that does not convert, or that Kestrel
    /// refuses (a negative size), is found here with the others, one setting at a time so that each problem names its setting.
    /// </summary>
    private static List<string> KestrelLimitsProblems(IConfiguration configuration)
    {
        var section = configuration.GetSection("Kestrel:Limits");
        var problems = new List<string>();
        foreach (var setting in section.GetChildren())
        {
            var alone = new ConfigurationBuilder().AddInMemoryCollection(setting.AsEnumerable()).Build();
            try
            {
                alone.GetSection(section.Path).Bind(new KestrelServerLimits());
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                problems.Add($"{setting.Path}: {(e.InnerException ?? e).Message}");
            }
        }
        return problems;
    }

    /// <summary>
    /// The environment of a build when nothing names one (<c>DOTNET_ENVIRONMENT</c>,
    /// <c>ASPNETCORE_ENVIRONMENT</c>, <c>--environment</c>): Development for a Debug build (its
    /// <c>OriginGateway.DefaultEnvironment</c> metadata), else null — the host's Production.
    /// </summary>
    internal static string? BuildDefaultEnvironment(IReadOnlyList<string> args)
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT"))
            || args.Any(a => a.StartsWith("--environment", StringComparison.OrdinalIgnoreCase) || a.StartsWith("/environment", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }
        return typeof(GatewayHost).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "OriginGateway.DefaultEnvironment")?.Value;
    }

    /// <summary>The TLS certificate of https endpoints: <c>Path</c> (PFX with <c>Password</c>, or PEM with <c>KeyPath</c>).</summary>
    private static X509Certificate2? LoadCertificate(IConfigurationSection section, out string? problem)
    {
        var path = section["Path"];
        problem = null;
        if (string.IsNullOrEmpty(path))
        {
            problem = "Kestrel:Certificates:Default:Path must name the certificate of the https endpoints (PFX, or PEM with Kestrel:Certificates:Default:KeyPath).";
            return null;
        }
        try
        {
            var keyPath = section["KeyPath"];
            if (!string.IsNullOrEmpty(keyPath))
            {
                using var pem = X509Certificate2.CreateFromPemFile(path, keyPath);
                // Re-imported so the private key is usable by TLS on every platform.
                return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            return X509CertificateLoader.LoadPkcs12FromFile(path, section["Password"]);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
        {
            problem = $"Kestrel:Certificates:Default:Path '{path}' could not be loaded: {e.Message}";
            return null;
        }
    }

    private static void PrintBanner(TextWriter output, GatewayOptions options, EndpointBinding binding, string environment)
    {
        var defaultBucket = options.Buckets.FirstOrDefault(b => b.Name == options.DefaultBucket);
        output.WriteLine($"OriginGateway is running ({environment}).");
        output.WriteLine($"  data endpoint:    {binding.DataUrl}   (object API, origin pull)");
        output.WriteLine($"  control endpoint: {binding.ControlUrl}");
        output.WriteLine($"    {binding.ControlUrl}/admin      the admin page (log in with a configured credential)");
        output.WriteLine($"    {binding.ControlUrl}/metrics    Prometheus metrics");
        output.WriteLine($"    {binding.ControlUrl}/healthz    liveness; /readyz readiness");
        output.WriteLine($"    {binding.ControlUrl}/<bucket>/  COS fetch tasks; POST / the VOD API; /v2/<project>/sync-tasks sync tasks");
        output.WriteLine($"  data directory:   {options.DataDirectoryFullPath}");
        if (defaultBucket is not null)
        {
            output.WriteLine($"  default bucket:   {defaultBucket.Name}{(defaultBucket.PublicRead ? " (public-read)" : "")}");
        }
        if (options.Credentials.Count == 0)
        {
            output.WriteLine("  warning: no credentials are configured; only public reads are served.");
        }
        output.WriteLine("Try:");
        output.WriteLine($"  curl -i {binding.DataUrl}/hello.txt");
        output.WriteLine($"  curl -i {binding.ControlUrl}/readyz");
        output.Flush();
    }

    [LoggerMessage(EventId = LogEvents.Listening, Level = LogLevel.Information, Message = "OriginGateway is running ({Environment}); data endpoint: {DataUrl} control endpoint: {ControlUrl} data directory: {DataDirectory}")]
    private static partial void LogListening(ILogger logger, string environment, string dataUrl, string controlUrl, string dataDirectory);

    [LoggerMessage(EventId = LogEvents.ConnectionCap, Message = "Client connections: at most {Connections} at a time per endpoint (open-file limit {OpenFileLimit}); more are closed at accept. Kestrel:Limits:MaxConcurrentConnections sets it; a higher open-file limit raises it")]
    private static partial void LogConnectionCap(ILogger logger, LogLevel level, int connections, long openFileLimit);

    [LoggerMessage(EventId = LogEvents.StartupFailed, Level = LogLevel.Critical, Message = "Cannot start: {Reason}; stopping")]
    private static partial void LogCannotStart(ILogger logger, string reason);

    [LoggerMessage(EventId = LogEvents.UnsignedCallbacks, Level = LogLevel.Warning, Message = "Callbacks:Secret is not set: task callbacks are sent without X-Origin-Gateway-Signature")]
    private static partial void LogUnsignedCallbacks(ILogger logger);
}
