using OriginGateway.Configuration;

namespace OriginGateway.Lifecycle;

/// <summary>Checks the Endpoints settings at start: http(s) URLs with explicit, different ports.</summary>
internal sealed class EndpointsOptionsValidator : SettingsValidator<EndpointsOptions>
{
    protected override void Check(EndpointsOptions options, List<string> problems)
    {
        var data = Endpoint(options.Data, "Endpoints:Data", problems);
        var control = Endpoint(options.Control, "Endpoints:Control", problems);
        if (data is not null && control is not null && data.Port != 0 && data.Port == control.Port)
        {
            problems.Add("Endpoints:Data and Endpoints:Control must use different ports.");
        }
    }

    private static Uri? Endpoint(string value, string setting, List<string> problems)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/"
            || uri.IsDefaultPort && !value.Contains(uri.Scheme == "http" ? ":80" : ":443", StringComparison.Ordinal))
        {
            problems.Add($"{setting} '{value}' must be an http or https URL with an explicit port, e.g. http://127.0.0.1:8080.");
            return null;
        }
        return uri;
    }
}

/// <summary>Checks the Shutdown settings at start.</summary>
internal sealed class ShutdownOptionsValidator : SettingsValidator<ShutdownOptions>
{
    protected override void Check(ShutdownOptions options, List<string> problems) =>
        Range(problems, options.GracePeriod, "Shutdown:GracePeriod", TimeSpan.Zero, TimeSpan.FromMinutes(10));
}
