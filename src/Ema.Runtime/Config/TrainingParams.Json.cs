using System.Text.Json;

namespace Ema;

public sealed partial record TrainingParams
{
    /// <summary>Writes every key in SuperGradients' shape; <see cref="FromJson(string, Action{string}?)"/> reads it back into an equal record.</summary>
    /// <returns>The JSON object.</returns>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            foreach (TrainingKey key in s_keys)
            {
                key.Write(writer, this);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
