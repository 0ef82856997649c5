using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace OriginGateway.Configuration;

/// <summary>
/// A feature's check of its own settings, run once at start (<c>ValidateOnStart</c>): it lists every
/// problem, each naming its setting, and the start ends with exit code 2 and all problems of all features.
/// </summary>
internal abstract class SettingsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var problems = new List<string>();
        Check(options, problems);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Adds a line per problem.</summary>
    protected abstract void Check(TOptions options, List<string> problems);

    /// <summary>Whether <paramref name="value"/> names a member of <typeparamref name="T"/> (any case; never a number).</summary>
    protected static bool IsOneOf<T>(string value) where T : struct, Enum => SettingValues.IsOneOf<T>(value);

    /// <summary>A duration setting must lie in [min, max].</summary>
    protected static void Range(List<string> problems, TimeSpan value, string name, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            problems.Add($"{name} {value} is outside {min} .. {max} (write durations as hh:mm:ss or d.hh:mm:ss).");
        }
    }
}

/// <summary>Checks shared by the features' validators.</summary>
internal static class SettingValues
{
    /// <summary>Whether <paramref name="value"/> names a member of <typeparamref name="T"/> (any case; never a number).</summary>
    public static bool IsOneOf<T>(string value) where T : struct, Enum =>
        Enum.GetNames<T>().Contains(value, StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// Settings bound from one configuration section. Each type writes its own binding (<c>section.Bind(target)</c>) so
/// that the call names the concrete type: the configuration binding generator writes binding code only for such
/// calls, and a natively compiled gateway has no reflection to bind a type it was not written for.
/// </summary>
internal interface ISettingsSection<TSelf>
    where TSelf : class, ISettingsSection<TSelf>, new()
{
    /// <summary>Sets <paramref name="target"/>'s properties from <paramref name="section"/>.</summary>
    static abstract void BindSection(IConfiguration section, TSelf target);
}

internal static class SettingsRegistration
{
    /// <summary>
    /// Binds a feature's section (<c>AddOptions&lt;T&gt;()</c>, bound, <c>ValidateOnStart()</c>) with its validator; the
    /// options are also served as <typeparamref name="TOptions"/> itself. Returns the section as bound now, for the
    /// choices a feature makes while it registers (which implementations to use).
    /// </summary>
    public static TOptions AddSettings<TOptions, [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TValidator>(this IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class, ISettingsSection<TOptions>, new()
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        return services.AddSettings<TOptions>(configuration, section);
    }

    /// <summary>The same, for a section with nothing to check.</summary>
    public static TOptions AddSettings<TOptions>(this IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class, ISettingsSection<TOptions>, new()
    {
        // "" is the configuration root (the composition root's own settings).
        IConfiguration bound = section.Length == 0 ? configuration : configuration.GetSection(section);
        services.AddOptions<TOptions>().Configure(options => TOptions.BindSection(bound, options)).ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<TOptions>>().Value);
        var now = new TOptions();
        try
        {
            TOptions.BindSection(bound, now);
            return now;
        }
        catch (InvalidOperationException)
        {
            // A value that does not convert is reported when the settings are validated at start.
            return new TOptions();
        }
    }
}
