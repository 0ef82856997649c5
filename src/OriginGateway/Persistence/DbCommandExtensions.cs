using System.Data.Common;

namespace OriginGateway.Persistence;

/// <summary>Provider-neutral parameter binding for the control database's commands (<c>@name</c> placeholders).</summary>
internal static class DbCommandExtensions
{
    /// <summary>Binds a parameter; null becomes <see cref="DBNull"/>.</summary>
    public static void Bind(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>A command of <paramref name="sql"/> on <paramref name="connection"/>, its parameters bound.</summary>
    public static DbCommand Statement(this DbConnection connection, string sql, IEnumerable<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Bind(name, value);
        }
        return command;
    }
}
