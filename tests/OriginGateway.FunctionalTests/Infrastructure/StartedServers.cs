namespace OriginGateway.FunctionalTests.Infrastructure;

/// <summary>
/// The servers a test class or fixture starts, stopped in the reverse order of their start. xUnit does not call
/// <c>DisposeAsync</c> after an <c>InitializeAsync</c> that failed, so a fixture whose third server cannot start (its
/// npm package or apt tool missing in a plain <c>dotnet test</c>) would leave the first two running after the test run:
/// <see cref="StartAsync"/> stops what was started before it passes the failure on.
/// </summary>
internal sealed class StartedServers : IAsyncDisposable
{
    private readonly Stack<object> _started = new();

    /// <summary>Runs a fixture's start; when it fails, stops everything it had started, then fails.</summary>
    public async Task StartAsync(Func<Task> start)
    {
        try
        {
            await start();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>A server that has started (an <see cref="IAsyncDisposable"/> or an <see cref="IDisposable"/>).</summary>
    public T Add<T>(T server)
        where T : class
    {
        if (server is not (IAsyncDisposable or IDisposable))
        {
            throw new ArgumentException($"{typeof(T).Name} cannot be stopped", nameof(server));
        }
        _started.Push(server);
        return server;
    }

    public async Task<T> AddAsync<T>(Task<T> starting)
        where T : class => Add(await starting);

    public async ValueTask DisposeAsync()
    {
        List<Exception>? failures = null;
        while (_started.TryPop(out var server))
        {
            try
            {
                if (server is IAsyncDisposable asyncDisposable)
                {
                    await asyncDisposable.DisposeAsync();
                }
                else
                {
                    ((IDisposable)server).Dispose();
                }
            }
            catch (Exception e)
            {
                // The others are still stopped.
                (failures ??= []).Add(e);
            }
        }
        if (failures is not null)
        {
            throw new AggregateException("servers failed to stop", failures);
        }
    }
}
