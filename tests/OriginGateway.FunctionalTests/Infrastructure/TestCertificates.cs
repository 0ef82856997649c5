using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// A private certificate authority made for one test, in a temporary directory: a CA, a server
/// certificate for 127.0.0.1 / localhost and a client certificate it issued, each as PEM files.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private TestCertificates(string directory) => Directory = directory;

    public string Directory { get; }

    public string CaFile => Path.Combine(Directory, "ca.crt");

    public string ServerCertificate => Path.Combine(Directory, "server.crt");

    public string ServerKey => Path.Combine(Directory, "server.key");

    public string ClientCertificate => Path.Combine(Directory, "client.crt");

    public string ClientKey => Path.Combine(Directory, "client.key");

    /// <summary>A gateway's settings for an https data endpoint on a free port, serving <see cref="ServerCertificate"/>.</summary>
    public string[] HttpsDataEndpoint =>
    [
        "--Endpoints:Data=https://127.0.0.1:0",
        $"--Kestrel:Certificates:Default:Path={ServerCertificate}",
        $"--Kestrel:Certificates:Default:KeyPath={ServerKey}",
    ];

    /// <summary>A certificate for 127.0.0.1 that no authority of the test issued (its own, self-signed).</summary>
    public string StrangerCaFile => Path.Combine(Directory, "stranger.crt");

    public static TestCertificates Create()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("og-tls-").FullName;
        var certificates = new TestCertificates(directory);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=origin-gateway test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(certificates.CaFile, ca.ExportCertificatePem());

        Issue(ca, "CN=127.0.0.1", serverAuth: true, certificates.ServerCertificate, certificates.ServerKey);
        Issue(ca, "CN=origin-gateway", serverAuth: false, certificates.ClientCertificate, certificates.ClientKey);

        using var strangerKey = RSA.Create(2048);
        using var stranger = new CertificateRequest("CN=127.0.0.1", strangerKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(certificates.StrangerCaFile, stranger.ExportCertificatePem());
        return certificates;
    }

    private static void Issue(X509Certificate2 ca, string subject, bool serverAuth, string certificateFile, string keyFile)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var certificate = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(29), serial);
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
