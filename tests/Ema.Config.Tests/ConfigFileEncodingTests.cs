using System.Text;

namespace Ema.Config.Tests;

/// <summary>Files as editors write them: byte order marks load, broken encodings and unreadable paths are errors naming the file.</summary>
public sealed class ConfigFileEncodingTests : IDisposable
{
    private const string Valid = """{"ema": true, "ema_params": {"decay_type": "constant", "decay": 0.99}}""";
    private static readonly TrainingParams s_expected = new() { Ema = true, EmaParams = new ConstantEmaParams(0.99) };
    private readonly string _dir = Directory.CreateTempSubdirectory("ema-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_UTF8_file_with_a_byte_order_mark_loads()
    {
        string path = Write("bom.json", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Valid)]);

        Assert.Equal(s_expected, TrainingParams.FromFile(path));
    }

    [Fact]
    public void A_UTF16_file_with_a_byte_order_mark_loads()
    {
        string path = Write("utf16.json", Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Valid)).ToArray());

        Assert.Equal(s_expected, TrainingParams.FromFile(path));
    }

    [Fact]
    public void Text_that_kept_its_byte_order_mark_loads()
    {
        // Encoding.UTF8.GetString keeps the BOM as U+FEFF: such text must load like the file it came from.
        string text = Encoding.UTF8.GetString([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Valid)]);
        Assert.Equal('\uFEFF', text[0]);

        Assert.Equal(s_expected, TrainingParams.FromJson(text));
        Assert.Equal(new ConstantEmaParams(0.9), DecaySchedules.FromJson("\uFEFF{\"decay_type\": \"constant\", \"decay\": 0.9}"));
    }

    [Fact]
    public void Invalid_UTF8_is_an_error_naming_the_file_not_a_replacement_character()
    {
        // "exp" with a stray Latin-1 byte: decoding leniently would turn it into "ex\uFFFD" and a misleading message.
        byte[] bytes = [.. Encoding.UTF8.GetBytes("""{"ema_params": {"decay_type": "ex"""), 0xE9, .. Encoding.UTF8.GetBytes("\"}}")];
        string path = Write("latin1.json", bytes);

        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromFile(path));

        Assert.StartsWith(path + ": the training params file is not valid UTF-8 text", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\uFFFD", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_file_is_an_error_naming_the_file()
    {
        string path = Write("empty.json", []);

        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromFile(path));

        Assert.Equal(path + ": The config is empty: it must be a JSON object, for example {} for the defaults.", error.Message);
    }

    [Fact]
    public void A_directory_instead_of_a_file_is_an_error_naming_it()
    {
        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromFile(_dir));

        Assert.StartsWith(_dir + ": cannot read the training params file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_syntax_error_in_a_file_names_the_file_the_line_and_the_key()
    {
        string path = Write("nan.json", Encoding.UTF8.GetBytes("{\n  \"ema\": true,\n  \"ema_params\": {\"decay\": NaN}\n}"));

        var error = Assert.Throws<EmaConfigException>(() => TrainingParams.FromFile(path));

        Assert.StartsWith(path + ": Invalid JSON at line 3, column 27 (in the value of \"decay\")", error.Message, StringComparison.Ordinal);
        Assert.Contains("NaN and Infinity are not JSON numbers", error.Message, StringComparison.Ordinal);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
