using OriginGateway.Hosting;

// The shared byte-array pool keeps 32 arrays of a size per core. Every response body in flight holds one (the body pump's
// chunk in Kestrel's pipe, YARP's copy buffer): at 200 clients of one fill that pool missed on ~40 % of the chunks, and
// the gateway allocated 1.4 GB and ran 58 full collections to serve 3.2 GB (bench/README.md). The runtime reads this
// setting from the environment when the pool is first used — before any request; an operator's own value wins.
const string ArraysPerPartition = "DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION";
if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ArraysPerPartition)))
{
    Environment.SetEnvironmentVariable(ArraysPerPartition, "256");
}

return await GatewayCommandLine.RunAsync(args);
