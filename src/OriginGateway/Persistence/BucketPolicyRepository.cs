using System.Globalization;

namespace OriginGateway.Persistence;

/// <summary>Stored bucket policies, one JSON document per bucket, kept as the client sent it.</summary>
internal sealed class BucketPolicyRepository(ControlDatabase database, TimeProvider time)
{
    public string? Get(string bucket)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT document FROM bucket_policies WHERE bucket = $b";
        command.Parameters.AddWithValue("$b", bucket);
        return command.ExecuteScalar() as string;
    }

    public void Put(string bucket, string document)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO bucket_policies (bucket, document, updated_at) VALUES ($b, $d, $t)
            ON CONFLICT (bucket) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at
            """;
        command.Parameters.AddWithValue("$b", bucket);
        command.Parameters.AddWithValue("$d", document);
        command.Parameters.AddWithValue("$t", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        command.ExecuteNonQuery();
    }

    public bool Delete(string bucket)
    {
        using var connection = database.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM bucket_policies WHERE bucket = $b";
        command.Parameters.AddWithValue("$b", bucket);
        return command.ExecuteNonQuery() > 0;
    }
}
