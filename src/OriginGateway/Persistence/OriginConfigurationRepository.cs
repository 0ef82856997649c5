using System.Globalization;

namespace OriginGateway.Persistence;

/// <summary>Stored origin configurations, one normalised XML document per bucket.</summary>
internal sealed class OriginConfigurationRepository(ControlDatabase database, TimeProvider time)
{
    public string? Get(string bucket)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT document FROM origin_configurations WHERE bucket = $b";
        command.Parameters.AddWithValue("$b", bucket);
        return command.ExecuteScalar() as string;
    }

    /// <param name="bucket">The bucket name.</param>
    /// <param name="document">The normalised XML.</param>
    /// <param name="source"><c>api</c> or the rule file it came from.</param>
    public void Put(string bucket, string document, string source)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO origin_configurations (bucket, document, source, updated_at) VALUES ($b, $d, $s, $t)
            ON CONFLICT (bucket) DO UPDATE SET document = excluded.document, source = excluded.source, updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$b", bucket);
        command.Parameters.AddWithValue("$d", document);
        command.Parameters.AddWithValue("$s", source);
        command.Parameters.AddWithValue("$t", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        command.ExecuteNonQuery();
    }

    public bool Delete(string bucket)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM origin_configurations WHERE bucket = $b";
        command.Parameters.AddWithValue("$b", bucket);
        return command.ExecuteNonQuery() > 0;
    }
}
