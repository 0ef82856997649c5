namespace OriginGateway.Persistence;

/// <summary>One step of the control database schema; applied once, in version order.</summary>
internal sealed record Migration(int Version, string Name, string Sql);
