using System.Globalization;

namespace OriginGateway.Persistence;

/// <summary>
/// One stored document per bucket in a table of its own (<c>bucket</c>, <c>document</c>,
/// <c>updated_at</c>, and for some a <c>source</c>): origin configurations, policies, CORS.
/// </summary>
internal abstract class BucketDocumentRepository(ControlDatabase database, TimeProvider time, string table, bool hasSource)
{
    public string? Get(string bucket)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT document FROM {table} WHERE bucket = @b";
        command.Bind("@b", bucket);
        return command.ExecuteScalar() as string;
    }

    /// <param name="bucket">The bucket name.</param>
    /// <param name="document">The document as it is kept.</param>
    /// <param name="source">Where it came from (<c>api</c> or a file), for tables that record it.</param>
    public void Put(string bucket, string document, string source = "api")
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = hasSource
            ? $"""
              INSERT INTO {table} (bucket, document, source, updated_at) VALUES (@b, @d, @s, @t)
              ON CONFLICT (bucket) DO UPDATE SET document = excluded.document, source = excluded.source, updated_at = excluded.updated_at
              """
            : $"""
              INSERT INTO {table} (bucket, document, updated_at) VALUES (@b, @d, @t)
              ON CONFLICT (bucket) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at
              """;
        command.Bind("@b", bucket);
        command.Bind("@d", document);
        if (hasSource)
        {
            command.Bind("@s", source);
        }
        command.Bind("@t", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        command.ExecuteNonQuery();
    }

    public bool Delete(string bucket)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"DELETE FROM {table} WHERE bucket = @b";
        command.Bind("@b", bucket);
        return command.ExecuteNonQuery() > 0;
    }
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
