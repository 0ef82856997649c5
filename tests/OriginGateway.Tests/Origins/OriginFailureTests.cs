using System.Net.Sockets;
using System.Security.Authentication;
using OriginGateway.Origins;

namespace OriginGateway.Tests.Origins;

public sealed class OriginFailureTests
{
    [Fact]
    public void Describe_NamesTheInnerFault_WithoutTheSeeInnerExceptionPointer()
    {
        var e = new HttpRequestException("The SSL connection could not be established, see inner exception.",
            new AuthenticationException("The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot"));

        Assert.Equal("The SSL connection could not be established: The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot",
            OriginFailure.Describe(e));
    }

    [Fact]
    public void Describe_LeavesOutAnInnerMessageTheOuterOneAlreadySays()
    {
        var e = new HttpRequestException("Connection refused (127.0.0.1:9)", new SocketException((int)SocketError.ConnectionRefused, "Connection refused"));

        Assert.Equal("Connection refused (127.0.0.1:9)", OriginFailure.Describe(e));
        Assert.Equal("No answer", OriginFailure.Describe(new TimeoutException("No answer.")));
    }
}
