using System.Xml.Linq;

namespace OriginGateway.TestShared;

/// <summary>Test data and helpers both test projects use (compiled into each).</summary>
internal static class OriginSeed
{
    /// <summary>The response example of the COS GET Bucket Origin document (seed 003), with a RulePriority added.</summary>
    public const string Example = """
        <?xml version="1.0" encoding="UTF-8"?>
        <OriginConfiguration>
        <OriginRule>
        <RulePriority>1</RulePriority>
        <OriginType>Proxy</OriginType>
        <OriginCondition>
        <HTTPStatusCode>404</HTTPStatusCode>
        <Prefix></Prefix>
        </OriginCondition>
        <OriginParameter>
        <Protocol>FOLLOW</Protocol>
        <FollowQueryString>true</FollowQueryString>
        <HttpHeader>
        <FollowAllHeaders>true</FollowAllHeaders>
        <NewHttpHeaders>
        <Header>
        <Key>x-cos-ContentType</Key>
        <Value>csv</Value>
        </Header>
        </NewHttpHeaders>
        <FollowHttpHeaders>
        <Header>
        <Key>Content-Type</Key>
        </Header>
        </FollowHttpHeaders>
        </HttpHeader>
        <FollowRedirection>true</FollowRedirection>
        </OriginParameter>
        <OriginInfo>
        <HostInfo>
        <HostName>examplebucket-1250000000.cos.ap-shanghai.myqcloud.com</HostName>
        </HostInfo>
        </OriginInfo>
        </OriginRule>
        </OriginConfiguration>
        """;

    /// <summary>Elements and their text, order-insensitive among siblings: equal for equivalent documents.</summary>
    public static string Canonical(XElement element) =>
        element.HasElements
            ? element.Name.LocalName + "{" + string.Join(",", element.Elements().Select(Canonical).Order(StringComparer.Ordinal)) + "}"
            : element.Name.LocalName + "=" + element.Value.Trim();

    public static string Canonical(string xml) => Canonical(XDocument.Parse(xml).Root!);
}
