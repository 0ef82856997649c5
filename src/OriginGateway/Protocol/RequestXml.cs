using System.Xml;
using System.Xml.Linq;

namespace OriginGateway.Protocol;

/// <summary>
/// Loads an XML document a client sent (origin rules, Delete, CompleteMultipartUpload, CORS) with the
/// same guards everywhere: no DTD (so no entity expansion and no external entities), no resolver, a
/// size cap, comments and processing instructions dropped.
/// </summary>
internal static class RequestXml
{
    /// <summary>The document, or null with the parser's reason when it is not well-formed or declares a DTD.</summary>
    public static XDocument? TryLoad(ReadOnlySpan<byte> body, int maxBytes, out string? error)
    {
        try
        {
            var settings = new XmlReaderSettings
            {
                DtdProcessing = DtdProcessing.Prohibit,
                XmlResolver = null,
                MaxCharactersInDocument = maxBytes,
                MaxCharactersFromEntities = 1024,
                IgnoreComments = true,
                IgnoreProcessingInstructions = true,
                IgnoreWhitespace = true,
            };
            using var stream = new MemoryStream(body.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, settings);
            var document = XDocument.Load(reader, LoadOptions.None);
            error = null;
            return document;
        }
        catch (XmlException e)
        {
            // The parser's own words for a DTD speak of its settings; the client is told what is refused.
            error = body.IndexOf("<!DOCTYPE"u8) >= 0
                ? "DTDs and entity declarations are not allowed."
                : "The XML is not well-formed: " + e.Message;
            return null;
        }
    }

    /// <summary>The first child element with this local name (namespaces ignored, as S3 clients send either).</summary>
    public static XElement? Child(XElement parent, string name) => parent.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    /// <summary>The child elements with this local name.</summary>
    public static IEnumerable<XElement> Children(XElement parent, string name) => parent.Elements().Where(e => e.Name.LocalName == name);
}
