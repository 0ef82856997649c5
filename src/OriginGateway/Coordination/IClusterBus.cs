namespace OriginGateway.Coordination;

/// <summary>What one replica tells the others.</summary>
internal enum ClusterMessageKind
{
    /// <summary>An object was committed or deleted: drop cached lookups of it.</summary>
    ObjectChanged,

    /// <summary>A bucket's origin configuration changed: reload it from the control database.</summary>
    OriginChanged,

    /// <summary>A bucket's policy changed.</summary>
    PolicyChanged,

    /// <summary>A bucket's CORS configuration changed.</summary>
    CorsChanged,
}

/// <param name="Kind">What changed.</param>
/// <param name="Scope">The bucket (or store) it concerns.</param>
/// <param name="Key">The object key, for <see cref="ClusterMessageKind.ObjectChanged"/>; empty otherwise.</param>
internal sealed record ClusterMessage(ClusterMessageKind Kind, string Scope, string Key);

/// <summary>
/// Change notifications between replicas. Publishing never blocks a request and never fails it: a
/// message that cannot be sent is dropped (caches expire on their own). <see cref="Received"/>
/// carries only other replicas' messages; <see cref="Reconnected"/> fires after an outage, when
/// messages may have been missed and everything cached should be dropped.
/// </summary>
internal interface IClusterBus
{
    void Publish(ClusterMessage message);

    event Action<ClusterMessage>? Received;

    event Action? Reconnected;
}

/// <summary>The single-replica bus: nobody else to tell.</summary>
internal sealed class LocalClusterBus : IClusterBus
{
    public void Publish(ClusterMessage message)
    {
    }

    public event Action<ClusterMessage>? Received
    {
        add { }
        remove { }
    }

    public event Action? Reconnected
    {
        add { }
        remove { }
    }
}
