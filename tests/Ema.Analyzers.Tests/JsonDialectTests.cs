using Ema.Analyzers.Json;
using Microsoft.Extensions.Configuration;
using Test = Ema.Analyzers.Tests.Infrastructure.AnalyzerTest<Ema.Analyzers.JsonConfigAnalyzer>;

namespace Ema.Analyzers.Tests;

/// <summary>
/// One config file, one verdict: the build-time analyzer, <see cref="TrainingParams.FromFile"/> and
/// <see cref="TrainingParams.FromConfiguration"/> over <c>AddJsonFile</c> read the same JSON dialect
/// (Microsoft.Extensions.Configuration.Json's: comments and trailing commas allowed, nothing else beyond RFC 8259).
/// </summary>
public sealed class JsonDialectTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ema-dialect-").FullName;

    public static TheoryData<string, string> Valid => new()
    {
        { "plain", """{"max_epochs": 3, "ema": true, "ema_params": {"decay": 0.99, "decay_type": "exp", "beta": 10}}""" },
        { "line-comments", "// recipe\n{\"max_epochs\": 3, // three\n \"ema\": true,\n \"ema_params\": {\"decay\": 0.99, \"beta\": 10}}" },
        { "block-comments", "/* recipe */ {\"max_epochs\": /* n */ 3, \"ema\": true, \"ema_params\": {\"decay\": /* d */ 0.99, \"beta\": 10}}" },
        { "trailing-commas", "{\"max_epochs\": 3, \"ema\": true, \"ema_params\": {\"decay\": 0.99, \"beta\": 10,},}" },
        { "byte-order-mark", "\uFEFF{\"max_epochs\": 3, \"ema\": true, \"ema_params\": {\"decay\": 0.99, \"beta\": 10}}" },
        { "exponent", "{\"max_epochs\": 3, \"ema\": true, \"ema_params\": {\"decay\": 9.9e-1, \"beta\": 1E1}}" },
    };

    public static TheoryData<string, string> Invalid => new()
    {
        { "double-comma", """{"max_epochs": 3,, "ema": true}""" },
        { "comma-only", "{,}" },
        { "unterminated-comment", "{\"max_epochs\": 3 /* open\n}" },
        { "leading-zero", """{"max_epochs": 03}""" },
        { "dot-without-digits", """{"initial_lr": 1.}""" },
        { "plus-sign", """{"initial_lr": +1}""" },
        { "single-quotes", "{'ema': true}" },
        { "unquoted-key", "{ema: true}" },
        { "tab-in-string", "{\"ema_params\": {\"decay_type\": \"e\txp\"}}" },
        { "non-breaking-space", "{\"ema\":\u00A0true}" },
        { "comment-before-colon", "{\"ema\" /* c */ : true}" },
        { "nan", """{"ema_params": {"decay": NaN}}""" },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void A_file_every_path_reads_loads_the_same_everywhere(string name, string json)
    {
        string path = Write(name, json);

        Assert.NotNull(JsonScanner.Parse(json));
        TrainingParams fromFile = TrainingParams.FromFile(path);
        TrainingParams fromConfiguration = TrainingParams.FromConfiguration(new ConfigurationBuilder().AddJsonFile(path).Build());
        Assert.Equal(fromFile, fromConfiguration);
        Assert.Equal(new TrainingParams { MaxEpochs = 3, Ema = true, EmaParams = new ExpEmaParams(decay: 0.99, beta: 10) }, fromFile);
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void A_file_one_path_refuses_every_path_refuses(string name, string json)
    {
        string path = Write(name, json);

        Assert.Null(JsonScanner.Parse(json));
        Assert.Throws<EmaConfigException>(() => TrainingParams.FromFile(path));
        Assert.ThrowsAny<Exception>(() => TrainingParams.FromConfiguration(new ConfigurationBuilder().AddJsonFile(path).Build()));
    }

    [Fact]
    public async Task An_out_of_range_decay_behind_comments_and_trailing_commas_is_refused_by_every_path()
    {
        const string json = "// recipe\n{\"ema_params\": {\n  \"decay\": 1.2, /* too high */\n},}";
        string path = Write("bad-decay", json);

        var test = new Test("class C { }", ("train.json", json));
        test.ExpectedDiagnostics.Add(Test.Diagnostic("EMA0001").WithSpan("train.json", 3, 12, 3, 15)
            .WithArguments("1.2", "\"decay\" in ema_params, read into Ema.EmaParams.Decay"));
        await test.RunAsync();
        Assert.Equal("ema_params.decay", Assert.Throws<EmaConfigException>(() => TrainingParams.FromFile(path)).Key);
        Assert.Equal(
            "ema_params:decay",
            Assert.Throws<EmaConfigException>(() => TrainingParams.FromConfiguration(new ConfigurationBuilder().AddJsonFile(path).Build())).Key);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string json)
    {
        string path = Path.Combine(_directory, name + ".json");
        File.WriteAllText(path, json);
        return path;
    }
}
