using System.Globalization;

namespace OriginGateway.Persistence;

/// <summary>
/// One stored document per bucket in a table of its own (<c>bucket</c>, <c>document</c>,
/// <c>updated_at</c>, and for some a <c>source</c>): origin configurations, policies, CORS.
/// </summary>
internal abstract class BucketDocumentRepository(ControlDatabase database, TimeProvider time, string table, bool hasSource)
{
    public async Task<string?> GetAsync(string bucket, CancellationToken cancellationToken = default) =>
        await database.ScalarAsync($"SELECT document FROM {table} WHERE bucket = @b", cancellationToken, ("@b", bucket)).ConfigureAwait(false) as string;

    /// <param name="bucket">The bucket name.</param>
    /// <param name="document">The document as it is kept.</param>
    /// <param name="source">Where it came from (<c>api</c> or a file), for tables that record it.</param>
    public Task PutAsync(string bucket, string document, string source = "api", CancellationToken cancellationToken = default)
    {
        var sql = hasSource
            ? $"""
              INSERT INTO {table} (bucket, document, source, updated_at) VALUES (@b, @d, @s, @t)
              ON CONFLICT (bucket) DO UPDATE SET document = excluded.document, source = excluded.source, updated_at = excluded.updated_at
              """
            : $"""
              INSERT INTO {table} (bucket, document, updated_at) VALUES (@b, @d, @t)
              ON CONFLICT (bucket) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at
              """;
        var updatedAt = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        return hasSource
            ? database.ExecuteAsync(sql, cancellationToken, ("@b", bucket), ("@d", document), ("@s", source), ("@t", updatedAt))
            : database.ExecuteAsync(sql, cancellationToken, ("@b", bucket), ("@d", document), ("@t", updatedAt));
    }

    public async Task<bool> DeleteAsync(string bucket, CancellationToken cancellationToken = default) =>
        await database.ExecuteAsync($"DELETE FROM {table} WHERE bucket = @b", cancellationToken, ("@b", bucket)).ConfigureAwait(false) > 0;
}

/// <summary>Origin configurations, one normalised XML document per bucket, with where it came from.</summary>
internal sealed class OriginConfigurationRepository(ControlDatabase database, TimeProvider time)
    : BucketDocumentRepository(database, time, "origin_configurations", hasSource: true);

/// <summary>Bucket policies, one JSON document per bucket, kept as the client sent it.</summary>
internal sealed class BucketPolicyRepository(ControlDatabase database, TimeProvider time)
    : BucketDocumentRepository(database, time, "bucket_policies", hasSource: false);

/// <summary>CORS configurations, one normalised XML document per bucket.</summary>
internal sealed class CorsConfigurationRepository(ControlDatabase database, TimeProvider time)
    : BucketDocumentRepository(database, time, "bucket_cors", hasSource: false);
