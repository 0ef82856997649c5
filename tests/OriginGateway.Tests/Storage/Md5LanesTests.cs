using System.Security.Cryptography;
using OriginGateway.Storage;

namespace OriginGateway.Tests.Storage;

public sealed class Md5LanesTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(119)]
    [InlineData(120)]
    [InlineData(128)]
    [InlineData(100_000)]
    public void OneBodyAlone_HasThePlatformsDigest_AtEveryLengthAroundTheBlockAndThePadding(int length)
    {
        var body = RandomNumberGenerator.GetBytes(length);
        var state = new Md5State();
        state.Append(body);

        Assert.Equal(MD5.HashData(body), state.Finish());
    }

    [Fact]
    public void OneBody_InPiecesOfEveryShape_HasThePlatformsDigest()
    {
        var body = RandomNumberGenerator.GetBytes(300_000);
        var random = new Random(7);
        for (var round = 0; round < 20; round++)
        {
            var state = new Md5State();
            for (var offset = 0; offset < body.Length;)
            {
                var piece = Math.Min(body.Length - offset, random.Next(0, 3) switch { 0 => random.Next(1, 70), 1 => random.Next(1, 5000), _ => random.Next(1, 70_000) });
                state.Append(body.AsSpan(offset, piece));
                offset += piece;
            }
            Assert.Equal(MD5.HashData(body), state.Finish());
        }
    }

    [Fact]
    public void EightLanesAtOnce_GiveEachBodyItsOwnDigest()
    {
        if (!Md5Lanes.IsSupported)
        {
            return;
        }
        var bodies = Enumerable.Range(0, 8).Select(_ => RandomNumberGenerator.GetBytes(64 * 10)).ToArray();
        var states = Enumerable.Range(0, 8).Select(_ => new Md5State()).ToArray();
        foreach (var state in states)
        {
            state.Length = 64 * 10;
        }

        Md5State.Compress8(states, bodies[0], bodies[1], bodies[2], bodies[3], bodies[4], bodies[5], bodies[6], bodies[7], 10);

        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(MD5.HashData(bodies[i]), states[i].Finish());
        }
    }

    [Fact]
    public async Task ManyBodiesAtOnce_InPiecesOfEveryLength_EachGetsItsOwnDigest_AndTheyShareTheLanes()
    {
        // More writers than lanes, pieces around the block and up to a fill's batch: lanes are refilled as bodies run
        // out, pieces end at different blocks, a body moves between the lanes and the lone path.
        var lanes = new Md5Lanes();
        var bodies = Enumerable.Range(0, 24).Select(i => RandomNumberGenerator.GetBytes(200_000 + i * 4_099)).ToArray();
        var digests = await Task.WhenAll(bodies.Select((body, i) => Task.Run(async () =>
        {
            var random = new Random(i);
            var md5 = new Md5Body(lanes);
            var buffer = new byte[70_000];
            for (var offset = 0; offset < body.Length;)
            {
                var piece = Math.Min(body.Length - offset, random.Next(0, 4) switch { 0 => random.Next(1, 100), 1 => random.Next(4000, 5000), _ => random.Next(8_000, 66_000) });
                // One buffer, reused for the next piece as soon as the append returns, as a fill reuses its own.
                body.AsSpan(offset, piece).CopyTo(buffer);
                await md5.AppendAsync(buffer.AsSpan(0, piece));
                Array.Clear(buffer);
                offset += piece;
            }
            return await md5.FinishAsync();
        })));

        for (var i = 0; i < bodies.Length; i++)
        {
            Assert.Equal(MD5.HashData(bodies[i]), digests[i]);
        }
        if (Md5Lanes.IsSupported)
        {
            Assert.True(lanes.SharedPasses > 0, "no pass hashed two bodies at once");
        }
    }

    [Fact]
    public async Task ABodyWithNothingAppended_HasTheDigestOfNothing()
    {
        var md5 = new Md5Body(new Md5Lanes());
        await md5.AppendAsync([]);

        Assert.Equal(MD5.HashData([]), await md5.FinishAsync());
    }
}
