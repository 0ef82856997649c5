using OriginGateway.Configuration;

namespace OriginGateway.Egress;

/// <summary>Checks the Egress settings at start: every problem, each naming its setting.</summary>
internal sealed class EgressOptionsValidator : SettingsValidator<EgressOptions>
{
    protected override void Check(EgressOptions options, List<string> problems)
    {
        for (var i = 0; i < options.AllowedNetworks.Count; i++)
        {
            if (Egress.EgressAddressClassifier.CheckNetwork(options.AllowedNetworks[i]) is { } problem)
            {
                problems.Add($"Egress:AllowedNetworks:{i} {problem}");
            }
        }
        for (var i = 0; i < options.DeniedNetworks.Count; i++)
        {
            if (Egress.EgressAddressClassifier.CheckNetwork(options.DeniedNetworks[i]) is { } problem)
            {
                problems.Add($"Egress:DeniedNetworks:{i} {problem}");
            }
        }
        for (var i = 0; i < options.AllowedPorts?.Count; i++)
        {
            var port = options.AllowedPorts[i];
            if (port != "*" && !(int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is > 0 and < 65536))
            {
                problems.Add($"Egress:AllowedPorts:{i} '{port}' must be a port number (1-65535) or * (any port).");
            }
        }
    }
}
