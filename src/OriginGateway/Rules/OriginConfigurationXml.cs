using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using OriginGateway.Protocol;

namespace OriginGateway.Rules;

/// <summary>
/// Reads and writes the COS <c>OriginConfiguration</c> XML (seed 003). The reader refuses DTDs and
/// external entities, caps the document at 64 KiB, and reports every problem it finds, then hands
/// the result to <see cref="OriginConfigurationValidator"/>. The writer emits elements in the
/// seed's order and only those the client sent.
/// </summary>
internal static class OriginConfigurationXml
{
    /// <summary>Largest accepted document, in bytes.</summary>
    public const int MaxDocumentBytes = 64 * 1024;

    public const int MaxRules = 100;

    public static OriginConfigurationParseResult Parse(ReadOnlySpan<byte> document)
    {
        if (document.Length > MaxDocumentBytes)
        {
            return Invalid($"OriginConfiguration: the document is larger than {MaxDocumentBytes} bytes.");
        }
        var text = Encoding.UTF8.GetString(document);
        if (text.Contains("<!DOCTYPE", StringComparison.OrdinalIgnoreCase) || text.Contains("<!ENTITY", StringComparison.OrdinalIgnoreCase))
        {
            return Invalid("OriginConfiguration: DTDs and entity declarations are not allowed.");
        }

        if (RequestXml.TryLoad(document, MaxDocumentBytes, out var error) is not { } xml)
        {
            return new OriginConfigurationParseResult(null, [error!], Malformed: true);
        }

        var errors = new RuleErrors();
        var root = xml.Root!;
        if (root.Name.LocalName != "OriginConfiguration")
        {
            errors.Add(root.Name.LocalName, "the root element must be OriginConfiguration.");
            return Result(null, errors);
        }

        var rules = new List<OriginRule>();
        var index = 0;
        foreach (var child in root.Elements())
        {
            if (child.Name.LocalName != "OriginRule")
            {
                errors.Add("OriginConfiguration", $"unknown element <{child.Name.LocalName}>.");
                continue;
            }
            index++;
            if (index > MaxRules)
            {
                continue;
            }
            rules.Add(ReadRule(child, $"OriginRule[{index}]", errors));
        }
        if (index > MaxRules)
        {
            errors.Add("OriginConfiguration", $"{index} rules; at most {MaxRules} are allowed.");
        }

        var configuration = new OriginConfiguration(rules);
        OriginConfigurationValidator.Validate(configuration, errors);
        return Result(configuration, errors);
    }

    public static string Write(OriginConfiguration configuration)
    {
        var root = new XElement("OriginConfiguration");
        foreach (var rule in configuration.Rules.OrderBy(r => r.Priority))
        {
            root.Add(WriteRule(rule));
        }
        var builder = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        using (var writer = XmlWriter.Create(builder, new XmlWriterSettings { OmitXmlDeclaration = true, Indent = true, IndentChars = "  ", NewLineChars = "\n" }))
        {
            root.WriteTo(writer);
        }
        return builder.Append('\n').ToString();
    }

    private static OriginConfigurationParseResult Invalid(string error) => new(null, [error], Malformed: false);

    private static OriginConfigurationParseResult Result(OriginConfiguration? configuration, RuleErrors errors) =>
        errors.Any ? new(null, errors.All, false) : new(configuration, [], false);

    private static OriginRule ReadRule(XElement element, string path, RuleErrors errors)
    {
        var fields = new ElementReader(element, path, errors);
        var priority = fields.Int("RulePriority");
        if (priority is null && !fields.Has("RulePriority"))
        {
            errors.Add(path, "RulePriority is required.");
        }

        OriginType type = OriginType.Mirror;
        var typeText = fields.Text("OriginType");
        if (typeText is null)
        {
            errors.Add(path, "OriginType is required.");
        }
        else if (!TryParseType(typeText, out type))
        {
            errors.Add($"{path}/OriginType", $"'{typeText}' is not one of Proxy, Mirror, Redirect.");
        }

        OriginCondition? condition = null;
        if (fields.Child("OriginCondition") is { } conditionElement)
        {
            var c = new ElementReader(conditionElement, $"{path}/OriginCondition", errors);
            condition = new OriginCondition(c.Text("HTTPStatusCode"), c.Text("Prefix"));
            c.RejectOthers();
        }

        OriginParameter? parameter = null;
        if (fields.Child("OriginParameter") is { } parameterElement)
        {
            parameter = ReadParameter(parameterElement, $"{path}/OriginParameter", errors);
        }

        List<int>? standbyCodes = null;
        if (fields.Child("HTTPStandbyCode") is { } standbyElement)
        {
            standbyCodes = [];
            foreach (var code in standbyElement.Elements())
            {
                var codePath = $"{path}/HTTPStandbyCode";
                if (code.Name.LocalName != "StatusCode")
                {
                    errors.Add(codePath, $"unknown element <{code.Name.LocalName}>.");
                }
                else if (int.TryParse(code.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is >= 100 and <= 599)
                {
                    standbyCodes.Add(value);
                }
                else
                {
                    errors.Add($"{codePath}/StatusCode", $"'{code.Value}' is not an HTTP status code.");
                }
            }
        }

        var info = new OriginInfo([], null);
        if (fields.Child("OriginInfo") is { } infoElement)
        {
            info = ReadInfo(infoElement, $"{path}/OriginInfo", errors);
        }
        else
        {
            errors.Add(path, "OriginInfo is required.");
        }
        fields.RejectOthers();

        return new OriginRule(priority ?? 0, type, condition, parameter, standbyCodes, info);
    }

    private static OriginParameter ReadParameter(XElement element, string path, RuleErrors errors)
    {
        var p = new ElementReader(element, path, errors);
        OriginHttpHeader? header = null;
        if (p.Child("HttpHeader") is { } headerElement)
        {
            var h = new ElementReader(headerElement, $"{path}/HttpHeader", errors);
            // NewHttpHeader (singular) is how the official SDKs write NewHttpHeaders.
            var added = ReadHeaders(h.Child("NewHttpHeaders"), $"{path}/HttpHeader/NewHttpHeaders", withValue: true, errors);
            var addedBySdk = ReadHeaders(h.Child("NewHttpHeader"), $"{path}/HttpHeader/NewHttpHeader", withValue: true, errors);
            header = new OriginHttpHeader(
                h.Bool("FollowAllHeaders"),
                added is null && addedBySdk is null ? null : [.. added ?? [], .. addedBySdk ?? []],
                ReadHeaders(h.Child("FollowHttpHeaders"), $"{path}/HttpHeader/FollowHttpHeaders", withValue: false, errors)?.Select(k => k.Key).ToArray(),
                ReadHeaders(h.Child("ForbidFollowHeaders"), $"{path}/HttpHeader/ForbidFollowHeaders", withValue: false, errors)?.Select(k => k.Key).ToArray());
            h.RejectOthers();
        }
        var parameter = new OriginParameter(
            p.Text("Protocol"),
            p.Bool("TransparentErrorCode"),
            p.Bool("FollowQueryString"),
            header,
            p.Bool("FollowRedirection"),
            p.Ints("HttpRedirectCode"),
            p.Bool("CopyOriginData"));
        p.RejectOthers();
        return parameter;
    }

    private static List<KeyValuePair<string, string>>? ReadHeaders(XElement? container, string path, bool withValue, RuleErrors errors)
    {
        if (container is null)
        {
            return null;
        }
        var headers = new List<KeyValuePair<string, string>>();
        var i = 0;
        foreach (var header in container.Elements())
        {
            i++;
            if (header.Name.LocalName != "Header")
            {
                errors.Add(path, $"unknown element <{header.Name.LocalName}>.");
                continue;
            }
            var h = new ElementReader(header, $"{path}/Header[{i}]", errors);
            var key = h.Text("Key");
            var value = withValue ? h.Text("Value") ?? "" : "";
            h.RejectOthers();
            if (key is null)
            {
                errors.Add($"{path}/Header[{i}]", "Key is required.");
                continue;
            }
            headers.Add(new(key, value));
        }
        return headers;
    }

    private static OriginInfo ReadInfo(XElement element, string path, RuleErrors errors)
    {
        var hosts = new List<OriginHost>();
        OriginFileInfo? fileInfo = null;
        var hostIndex = 0;
        var fileInfoSeen = false;
        foreach (var child in element.Elements())
        {
            switch (child.Name.LocalName)
            {
                case "HostInfo":
                    hostIndex++;
                    hosts.Add(ReadHost(child, $"{path}/HostInfo[{hostIndex}]", errors));
                    break;
                case "FileInfo" when !fileInfoSeen:
                    fileInfoSeen = true;
                    fileInfo = ReadFileInfo(child, $"{path}/FileInfo", errors);
                    break;
                case "FileInfo":
                    errors.Add(path, "FileInfo appears more than once.");
                    break;
                default:
                    errors.Add(path, $"unknown element <{child.Name.LocalName}>.");
                    break;
            }
        }
        return new OriginInfo(hosts, fileInfo);
    }

    private static OriginHost ReadHost(XElement element, string path, RuleErrors errors)
    {
        string? hostName = null;
        int? weight = null;
        var standby = new SortedDictionary<int, string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var child in element.Elements())
        {
            var name = child.Name.LocalName;
            if (child.HasElements)
            {
                errors.Add($"{path}/{name}", "must be a simple value.");
                continue;
            }
            if (!seen.Add(name))
            {
                errors.Add(path, $"{name} appears more than once.");
                continue;
            }
            if (name == "HostName")
            {
                hostName = child.Value.Trim();
            }
            else if (name == "Weight")
            {
                if (int.TryParse(child.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var w) && w > 0)
                {
                    weight = w;
                }
                else
                {
                    errors.Add($"{path}/Weight", $"'{child.Value}' is not a positive integer.");
                }
            }
            else if (name.StartsWith("StandbyHostName_", StringComparison.Ordinal))
            {
                if (int.TryParse(name.AsSpan("StandbyHostName_".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 10)
                {
                    standby[n] = child.Value.Trim();
                }
                else
                {
                    errors.Add(path, $"<{name}>: standby hosts are numbered StandbyHostName_1 to StandbyHostName_10.");
                }
            }
            else
            {
                errors.Add(path, $"unknown element <{name}>.");
            }
        }
        if (hostName is null)
        {
            errors.Add(path, "HostName is required.");
        }
        var expected = 1;
        foreach (var n in standby.Keys)
        {
            if (n != expected)
            {
                errors.Add(path, $"StandbyHostName_{expected} is missing: standby hosts are numbered without gaps.");
                break;
            }
            expected++;
        }
        return new OriginHost(hostName ?? "", weight, standby.Values.ToArray());
    }

    private static OriginFileInfo ReadFileInfo(XElement element, string path, RuleErrors errors)
    {
        var f = new ElementReader(element, path, errors);
        string? fixedPath = null, prefix = null, suffix = null;
        if (f.Child("FixedFileConfiguration") is { } fixedElement)
        {
            var r = new ElementReader(fixedElement, $"{path}/FixedFileConfiguration", errors);
            fixedPath = r.Text("FixedFilePath") ?? "";
            r.RejectOthers();
        }
        if (f.Child("PrefixConfiguration") is { } prefixElement)
        {
            var r = new ElementReader(prefixElement, $"{path}/PrefixConfiguration", errors);
            prefix = r.Text("Prefix") ?? "";
            r.RejectOthers();
        }
        if (f.Child("SuffixConfiguration") is { } suffixElement)
        {
            var r = new ElementReader(suffixElement, $"{path}/SuffixConfiguration", errors);
            suffix = r.Text("Suffix") ?? "";
            r.RejectOthers();
        }
        f.RejectOthers();
        return new OriginFileInfo(fixedPath, prefix, suffix);
    }

    private static bool TryParseType(string text, out OriginType type)
    {
        switch (text)
        {
            case "Proxy":
                type = OriginType.Proxy;
                return true;
            case "Mirror":
                type = OriginType.Mirror;
                return true;
            case "Redirect":
                type = OriginType.Redirect;
                return true;
            default:
                type = default;
                return false;
        }
    }

    private static XElement WriteRule(OriginRule rule)
    {
        var element = new XElement("OriginRule",
            new XElement("RulePriority", rule.Priority.ToString(CultureInfo.InvariantCulture)),
            new XElement("OriginType", rule.Type.ToString()));
        if (rule.Condition is { } c)
        {
            element.Add(new XElement("OriginCondition", Optional("HTTPStatusCode", c.HttpStatusCode), Optional("Prefix", c.Prefix)));
        }
        if (rule.Parameter is { } p)
        {
            XElement? header = null;
            if (p.HttpHeader is { } h)
            {
                header = new XElement("HttpHeader",
                    Optional("FollowAllHeaders", h.FollowAllHeaders),
                    h.NewHttpHeaders is null ? null : new XElement("NewHttpHeaders", h.NewHttpHeaders.Select(kv => new XElement("Header", new XElement("Key", kv.Key), new XElement("Value", kv.Value)))),
                    h.FollowHttpHeaders is null ? null : new XElement("FollowHttpHeaders", h.FollowHttpHeaders.Select(k => new XElement("Header", new XElement("Key", k)))),
                    h.ForbidFollowHeaders is null ? null : new XElement("ForbidFollowHeaders", h.ForbidFollowHeaders.Select(k => new XElement("Header", new XElement("Key", k)))));
            }
            element.Add(new XElement("OriginParameter",
                Optional("Protocol", p.Protocol),
                Optional("TransparentErrorCode", p.TransparentErrorCode),
                Optional("FollowQueryString", p.FollowQueryString),
                header,
                Optional("FollowRedirection", p.FollowRedirection),
                p.HttpRedirectCodes?.Select(code => new XElement("HttpRedirectCode", code.ToString(CultureInfo.InvariantCulture))),
                Optional("CopyOriginData", p.CopyOriginData)));
        }
        if (rule.StandbyStatusCodes is { } codes)
        {
            element.Add(new XElement("HTTPStandbyCode", codes.Select(s => new XElement("StatusCode", s.ToString(CultureInfo.InvariantCulture)))));
        }
        var info = new XElement("OriginInfo");
        foreach (var host in rule.Info.Hosts)
        {
            var hostElement = new XElement("HostInfo", new XElement("HostName", host.HostName));
            if (host.Weight is { } weight)
            {
                hostElement.Add(new XElement("Weight", weight.ToString(CultureInfo.InvariantCulture)));
            }
            for (var i = 0; i < host.StandbyHostNames.Count; i++)
            {
                hostElement.Add(new XElement($"StandbyHostName_{i + 1}", host.StandbyHostNames[i]));
            }
            info.Add(hostElement);
        }
        if (rule.Info.FileInfo is { } f)
        {
            info.Add(new XElement("FileInfo",
                f.FixedFilePath is null ? null : new XElement("FixedFileConfiguration", new XElement("FixedFilePath", f.FixedFilePath)),
                f.Prefix is null ? null : new XElement("PrefixConfiguration", new XElement("Prefix", f.Prefix)),
                f.Suffix is null ? null : new XElement("SuffixConfiguration", new XElement("Suffix", f.Suffix))));
        }
        element.Add(info);
        return element;
    }

    private static XElement? Optional(string name, string? value) => value is null ? null : new XElement(name, value);

    private static XElement? Optional(string name, bool? value) => value is null ? null : new XElement(name, value.Value ? "true" : "false");

    /// <summary>Reads the children of one element: each known child at most once, unknown ones reported.</summary>
    private sealed class ElementReader(XElement element, string path, RuleErrors errors)
    {
        private readonly HashSet<string> _known = new(StringComparer.Ordinal);

        public bool Has(string name) => element.Elements().Any(e => e.Name.LocalName == name);

        public XElement? Child(string name)
        {
            _known.Add(name);
            XElement? found = null;
            foreach (var child in element.Elements())
            {
                if (child.Name.LocalName != name)
                {
                    continue;
                }
                if (found is not null)
                {
                    errors.Add(path, $"{name} appears more than once.");
                    break;
                }
                found = child;
            }
            return found;
        }

        public string? Text(string name)
        {
            var child = Child(name);
            if (child is null)
            {
                return null;
            }
            if (child.HasElements)
            {
                errors.Add($"{path}/{name}", "must be a simple value.");
                return null;
            }
            return child.Value;
        }

        public bool? Bool(string name)
        {
            var text = Text(name)?.Trim();
            if (text is null)
            {
                return null;
            }
            if (text.Equals("true", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
            if (text.Equals("false", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
            errors.Add($"{path}/{name}", $"'{text}' is not true or false.");
            return null;
        }

        /// <summary>Every occurrence of a repeatable integer element (null when there is none).</summary>
        public List<int>? Ints(string name)
        {
            _known.Add(name);
            List<int>? values = null;
            foreach (var child in element.Elements().Where(e => e.Name.LocalName == name))
            {
                if (!child.HasElements && int.TryParse(child.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                {
                    (values ??= []).Add(value);
                }
                else
                {
                    errors.Add($"{path}/{name}", $"'{child.Value}' is not an integer.");
                }
            }
            return values;
        }

        public int? Int(string name)
        {
            var text = Text(name)?.Trim();
            if (text is null)
            {
                return null;
            }
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
            errors.Add($"{path}/{name}", $"'{text}' is not an integer.");
            return null;
        }

        public void RejectOthers()
        {
            foreach (var child in element.Elements())
            {
                if (!_known.Contains(child.Name.LocalName))
                {
                    errors.Add(path, $"unknown element <{child.Name.LocalName}>.");
                }
            }
        }
    }
}
