using OriginGateway.Configuration;

namespace OriginGateway.Callbacks;

/// <summary>Task callbacks (<c>Callbacks</c> section, <c>02-tasks.md</c> §2.3).</summary>
public sealed class CallbackOptions : ISettingsSection<CallbackOptions>
{
    /// <inheritdoc/>
    public static void BindSection(IConfiguration section, CallbackOptions target) => section.Bind(target);

    /// <summary>The Development configuration's documented secret; refused in Production.</summary>
    public const string DevelopmentSecret = "origin-gateway-development-callback-secret";

    /// <summary>
    /// The HMAC-SHA256 key of <c>X-Origin-Gateway-Signature</c>. Empty: callbacks are sent unsigned
    /// (a warning is logged at start-up).
    /// </summary>
    public string Secret { get; set; } = "";

    /// <summary>Delivery attempts before a callback is given up. Default 8 (about an hour with the default backoff).</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>First retry delay bound. Default 1 min.</summary>
    public TimeSpan RetryBase { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Largest retry delay bound. Default 20 min.</summary>
    public TimeSpan RetryCap { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>A delivery that takes longer counts as failed. Default 10 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}
