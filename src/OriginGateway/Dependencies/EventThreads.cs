using System.Runtime.CompilerServices;

namespace OriginGateway.Dependencies;

/// <summary>
/// The runtime's socket event threads. With inline socket completions (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>)
/// the code after an awaited socket operation runs on the event thread that completed it — one thread per core, serving
/// every connection of the process. The gateway's code leaves it right after each operation on a connection it opened
/// (an origin's, the S3 store's, the database's), so a staging write, a hash or a database update never holds the clients'
/// connections, and nothing that waits synchronously can wait on its own event thread. The one exception is the Proxy
/// action's forwarding connections: after their reads the body pump moves the origin's bytes into the client's response
/// there and, once the forward is done, the gateway does the request's non-blocking bookkeeping (metrics, queued log lines);
/// the action leaves before any store work (<c>ProxyAction</c>, <c>ForwardedBody</c>).
/// </summary>
internal static class EventThreads
{
    /// <summary>Whether the runtime completes socket operations on its event threads (read once: the runtime reads it once too).</summary>
    public static readonly bool InlineCompletions =
        Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is "1" or "true";

    /// <summary>Awaited: goes on at once on a pool thread, and from any other thread (an event thread) on the pool.</summary>
    public static LeaveAwaitable Leave() => default;

    public readonly struct LeaveAwaitable : ICriticalNotifyCompletion
    {
        public LeaveAwaitable GetAwaiter() => this;

        // The event threads are the runtime's own, not the pool's.
        public bool IsCompleted => Thread.CurrentThread.IsThreadPoolThread;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => ThreadPool.QueueUserWorkItem(static c => c(), continuation, preferLocal: false);

        public void UnsafeOnCompleted(Action continuation) => ThreadPool.UnsafeQueueUserWorkItem(static c => c(), continuation, preferLocal: false);
    }
}
