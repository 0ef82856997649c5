using OriginGateway.Hosting;

// Runtime settings the runtime reads from the environment once, when first used — before any request. An operator's own
// value wins (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 turns the second one off).

// The shared byte-array pool keeps 32 arrays of a size per core. Every response body in flight holds one (the body pump's
// chunk in Kestrel's pipe): at 200 clients of one fill that pool missed on ~40 % of the chunks, and
// the gateway allocated 1.4 GB and ran 58 full collections to serve 3.2 GB (bench/README.md).
Default("DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION", "256");

// Socket completions run on the socket engine's event threads instead of being handed to the thread pool first: one hop
// less per receive and send. Kestrel hands its own work on from there (to its I/O queues, then the request to the pool),
// and the gateway's outgoing connections (origins, callbacks, the S3 store: OutgoingStream) and database calls
// (ControlDatabase.WithConnectionAsync) go on on the pool as before; the one exception, the Proxy action's forwarding
// connections, is described at EventThreads. Measured, 3 rounds each on one VM: proxy64k 0.95 -> 1.24 x nginx,
// redirect 0.72 -> 0.98, hit1k 1.44 -> 1.51, cold1m wall 1.30 -> 1.16, CPU per proxied request -22 %
// (bench/results/2026-12-04-event-threads.md; the first measurement, with the gateway's code on the event threads:
// bench/results/2026-12-04-inline-completions.md).
Default("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

return await GatewayCommandLine.RunAsync(args);

static void Default(string name, string value)
{
    if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
    {
        Environment.SetEnvironmentVariable(name, value);
    }
}
