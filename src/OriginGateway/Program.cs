using OriginGateway.Hosting;

// Runtime settings the runtime reads from the environment once, when first used — before any request. An operator's own
// value wins (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 turns the second one off).

// The shared byte-array pool keeps 32 arrays of a size per core. Every response body in flight holds one (the body pump's
// chunk in Kestrel's pipe, YARP's copy buffer): at 200 clients of one fill that pool missed on ~40 % of the chunks, and
// the gateway allocated 1.4 GB and ran 58 full collections to serve 3.2 GB (bench/README.md).
Default("DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION", "256");

// Socket completions run on the socket engine's event threads instead of being handed to the thread pool first: one hop
// less per receive and send. Kestrel still hands its own work on (to its I/O queues, then the application to the pool);
// what runs on an event thread is the continuation of an outgoing connection's read — an origin's body into a fill's
// staging write, as nginx writes its proxy_store files in its event loop. Measured: hit1k +19 % at 18 % less CPU per
// request, redirect +9 %, cold1m wall −10 %, proxy64k alike (bench/results/2026-12-04-inline-completions.md).
Default("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

return await GatewayCommandLine.RunAsync(args);

static void Default(string name, string value)
{
    if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
    {
        Environment.SetEnvironmentVariable(name, value);
    }
}
