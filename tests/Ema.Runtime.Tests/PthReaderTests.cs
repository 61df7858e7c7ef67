using System.Text;
using System.Text.Json.Nodes;
using static Ema.Runtime.Tests.PthFixtureTests;
using static Ema.Runtime.Tests.TrainingSupport;

namespace Ema.Runtime.Tests;

/// <summary>
/// The .pth reader's one rule (a global off the allow-list refuses the file wherever it sits; the inert data real
/// checkpoints carry is read), storage declarations, and the memory it may take, on PyTorch's own files
/// (tests/fixtures/pth) and on hand-made pickles.
/// </summary>
[Collection(nameof(PthSafeGlobals))] // tests that add safe globals must not race the ones that expect a refusal
public sealed class PthReaderTests
{
    [Theory]
    [InlineData("hostile_in_skipped_entry.pth", "posix.system", "metrics.Accuracy")]
    [InlineData("hostile_in_packages.pth", "posix.system", "packages")]
    [InlineData("hostile_in_net.pth", "posix.system", "net.bn.weight")]
    [InlineData("custom_class_in_args.pth", "__main__.TrainConfig", "args")]
    public void A_global_off_the_allow_list_refuses_the_file_wherever_it_sits_naming_global_and_entry(string file, string global, string entry)
    {
        using var model = new LinearBatchNorm();
        Dictionary<string, double[]> before = Values(model);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadForInference(model, Fixture(file)));
        Assert.Contains($"'{global}'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{entry}'", e.Message, StringComparison.Ordinal);
        Assert.Equal(entry, e.TensorName);
        Assert.Equal(before, Values(model));
        Assert.Throws<CheckpointException>(() => Checkpoint.ReadInfo(Fixture(file))); // every entry point, not only loading
    }

    [Fact]
    public void A_class_added_as_a_safe_global_is_read_as_data_and_removing_it_refuses_again()
    {
        string file = Fixture("custom_class_in_args.pth");
        PthSafeGlobals.Add("__main__", "TrainConfig");
        try
        {
            Assert.Contains("__main__.TrainConfig", PthSafeGlobals.Added);
            using var model = new LinearBatchNorm();
            Assert.Equal("ema_net", Checkpoint.LoadForInference(model, file));
            AssertValues((JsonObject)Expected(Path.GetDirectoryName(file)!)["ema_net"]!, Values(model));
        }
        finally
        {
            Assert.True(PthSafeGlobals.Remove("__main__", "TrainConfig"));
        }

        Assert.Throws<CheckpointException>(() => Checkpoint.ReadInfo(file));
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("posix", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("subprocess", "Popen")]
    public void Modules_PyTorch_never_allows_cannot_be_added(string module, string name)
    {
        var e = Assert.Throws<ArgumentException>(() => PthSafeGlobals.Add(module, name));
        Assert.Contains($"'{module}.{name}'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain($"{module}.{name}", PthSafeGlobals.Added);
    }

    [Fact]
    public void Numpy_scalars_are_data_and_acc_reads_as_its_number()
    {
        CheckpointInfo info = Checkpoint.ReadInfo(Fixture("numpy_acc.pth"));
        Assert.Equal(0.8125, info.BestMetric);
        Assert.Equal(4, info.Epoch);
    }

    /// <summary>Files made by benign_fuzz.py with PyTorch 1.13 (checked in): every inert data type, in every entry, in protocols 2, 4 and 5.</summary>
    [Fact]
    public void Checked_in_benign_files_with_every_inert_data_type_load_with_their_values()
    {
        string directory = Fixture("benign");
        AssertBenignFilesLoad(directory);
    }

    internal static void AssertBenignFilesLoad(string directory)
    {
        JsonObject expected = Expected(directory);
        JsonObject files = (JsonObject)expected["files"]!;
        Assert.NotEmpty(files);
        foreach ((string name, JsonNode? file) in files)
        {
            string path = Path.Combine(directory, name);
            using var model = new LinearBatchNorm();
            string source;
            try
            {
                source = Checkpoint.LoadForInference(model, path);
            }
            catch (CheckpointException e)
            {
                Assert.Fail($"{name} (protocol {file!["protocol"]}): {e.Message}");
                throw;
            }

            Assert.Equal("ema_net", source);
            AssertValues((JsonObject)expected["ema_net"]!, Values(model));
            CheckpointInfo info = Checkpoint.ReadInfo(path);
            Assert.Equal(file!["epoch"]!.GetValue<int>(), info.Epoch);
            Assert.Equal(file["acc"]!.GetValue<double>(), info.BestMetric);
        }
    }

    [Fact]
    public void A_storage_declared_with_two_dtypes_or_sizes_is_refused()
    {
        using var dir = new TempDir();
        // {'a': tensor over storage '0' as 4 floats, 'b': tensor over storage '0' as 2 longs}
        var p = new PickleBytes().Proto(2).EmptyDict().Mark()
            .Str("a").Tensor("FloatStorage", "0", 4)
            .Str("b").Tensor("LongStorage", "0", 2)
            .SetItems().Stop();
        string path = PickleBytes.Archive(dir.File("twice.pth"), p.ToArray(), ("0", new byte[16]));
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.ReadInfo(path));
        Assert.Contains("storage '0' is declared as Float32 of 4 elements and again as Int64 of 2", e.Message, StringComparison.Ordinal);

        // The same declaration twice (two views of one storage, as torch.save writes them) is fine.
        var same = new PickleBytes().Proto(2).EmptyDict().Mark()
            .Str("a").Tensor("FloatStorage", "0", 4)
            .Str("b").Tensor("FloatStorage", "0", 4)
            .SetItems().Stop();
        Assert.Equal(0, Checkpoint.ReadInfo(PickleBytes.Archive(dir.File("views.pth"), same.ToArray(), ("0", new byte[16]))).Epoch);
    }

    [Fact]
    public void Integers_wider_than_64_bits_sets_and_complex_numbers_are_read_as_data()
    {
        // {'big': 2**100, 'set': {1, 2} (protocol 4 opcodes), 'z': complex(1.5, -2), 'frozen': frozenset(), 'epoch': 3}
        byte[] big = System.Numerics.BigInteger.Pow(2, 100).ToByteArray();
        var p = new PickleBytes().Proto(4).EmptyDict().Mark()
            .Str("big").Long1(big)
            .Str("set").Op(0x8f).Mark().Int(1).Int(2).Op(0x90)
            .Str("z").Global("builtins", "complex").Float(1.5).Float(-2).Op(0x86).Op((byte)'R')
            .Str("frozen").Mark().Op(0x91)
            .Str("epoch").Int(3)
            .SetItems().Stop();
        object? root = PickleReader.Read("x.pth", p.ToArray());
        var items = ((PickleDict)root!).Items.ToDictionary(i => (string)i.Key!, i => i.Value);
        Assert.Equal(System.Numerics.BigInteger.Pow(2, 100), items["big"]);
        Assert.Equal([1L, 2L], ((PickleSet)items["set"]!).Items);
        Assert.Equal(new System.Numerics.Complex(1.5, -2), items["z"]);
        Assert.True(((PickleSet)items["frozen"]!).Frozen);
        Assert.Equal(3L, items["epoch"]);
    }

    /// <summary>
    /// Pickles of many small items, each kind a hostile file could flood: the memory the reader allocates (measured
    /// by the runtime for this thread) stays within its bound, whether it finishes or refuses. Before the bound, a
    /// 64 MiB pickle of MEMOIZE opcodes made the reader allocate 5.4 GB (80 bytes per pickle byte).
    /// </summary>
    [Theory]
    [InlineData("memoize")]
    [InlineData("empty lists")]
    [InlineData("empty dicts")]
    [InlineData("integers")]
    [InlineData("strings")]
    [InlineData("tuples")]
    [InlineData("sets")]
    public void Reading_a_pickle_allocates_at_most_a_small_multiple_of_its_size(string flood)
    {
        const int Items = 1 << 20;
        var p = new PickleBytes().Proto(4).EmptyList();
        for (int i = 0; i < Items; i++)
        {
            _ = flood switch
            {
                "memoize" => p.Op(0x94),
                "empty lists" => p.EmptyList().Op((byte)'a'),
                "empty dicts" => p.Op((byte)'}').Op((byte)'a'),
                "integers" => p.Op((byte)'M').Raw((byte)(i & 0xff), (byte)(0x80 | (i >> 8 & 0x7f))).Op((byte)'a'),
                "strings" => p.Op(0x8c).Raw(1, (byte)('a' + (i % 26))).Op((byte)'a'),
                "tuples" => p.Int(i & 0x3ff).Op(0x85).Op((byte)'a'),
                _ => p.Op(0x8f).Op((byte)'a'),
            };
        }

        byte[] pickle = p.Op((byte)'0').EmptyDict().Stop().ToArray();
        long bound = PickleReader.BaseAllowance + ((long)PickleReader.MaxBytesPerPickleByte * pickle.Length);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            PickleReader.Read("flood.pth", pickle);
        }
        catch (CheckpointException e)
        {
            Assert.Contains("bytes of memory", e.Message, StringComparison.Ordinal);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // The reader measures every 256 opcodes: one interval's allocation (a few KB) may pass the bound before it stops.
        Assert.True(allocated <= bound + (64 << 10), $"{flood}: {allocated} bytes allocated for a pickle of {pickle.Length} bytes (bound {bound})");
    }

    [Fact]
    public void Real_checkpoints_stay_well_within_the_memory_bound()
    {
        foreach (string file in Directory.GetFiles(Fixture("benign"), "*.pth").Append(Fixture("sg_full.pth")).Append(Fixture("dtypes.pth")))
        {
            using var stream = File.OpenRead(file);
            ZipDirectory.Entry pkl = ZipDirectory.Read(file, stream).Values.Single(e => e.Name.EndsWith("data.pkl", StringComparison.Ordinal));
            var data = new byte[pkl.Length];
            stream.Position = pkl.Offset;
            stream.ReadExactly(data);
            long before = GC.GetAllocatedBytesForCurrentThread();
            PickleReader.Read(file, data);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < PickleReader.BaseAllowance, $"{file}: {allocated} bytes for a pickle of {data.Length}");
        }
    }
}

/// <summary>A pickle written opcode by opcode, for inputs torch.save would not write.</summary>
internal sealed class PickleBytes
{
    private readonly List<byte> _bytes = [];

    public PickleBytes Op(byte op) => Raw(op);

    public PickleBytes Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public PickleBytes Proto(byte protocol) => Raw(0x80, protocol);

    public PickleBytes Mark() => Op((byte)'(');

    public PickleBytes EmptyDict() => Op((byte)'}');

    public PickleBytes EmptyList() => Op((byte)']');

    public PickleBytes SetItems() => Op((byte)'u');

    public PickleBytes Stop() => Op((byte)'.');

    public PickleBytes Int(int value) => Op((byte)'J').Raw(BitConverter.GetBytes(value));

    public PickleBytes Long1(byte[] littleEndian) => Raw(0x8a, (byte)littleEndian.Length).Raw(littleEndian);

    public PickleBytes Float(double value)
    {
        byte[] bytes = BitConverter.GetBytes(value);
        Array.Reverse(bytes);
        return Op((byte)'G').Raw(bytes);
    }

    public PickleBytes Str(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        return Op((byte)'X').Raw(BitConverter.GetBytes(utf8.Length)).Raw(utf8);
    }

    public PickleBytes Global(string module, string name) => Op((byte)'c').Raw(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));

    /// <summary>_rebuild_tensor_v2(('storage', torch.TYPE, key, 'cpu', count), 0, (count,), (1,), False, OrderedDict())</summary>
    public PickleBytes Tensor(string storageType, string key, int count) =>
        Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(count).Op((byte)'t').Op((byte)'Q')
            .Int(0).Int(count).Op(0x85).Int(1).Op(0x85).Op(0x89)
            .Global("collections", "OrderedDict").Op((byte)')').Op((byte)'R')
            .Op((byte)'t').Op((byte)'R');

    public byte[] ToArray() => [.. _bytes];

    /// <summary>Writes a torch.save-shaped archive: archive/data.pkl and archive/data/KEY per storage.</summary>
    public static string Archive(string path, byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        using (var file = new FileStream(path, FileMode.Create))
        {
            var zip = new ZipWriter(file);
            Entry(zip, "archive/data.pkl", pickle);
            foreach ((string key, byte[] data) in storages)
            {
                Entry(zip, "archive/data/" + key, data);
            }

            zip.Finish();
        }

        return path;
    }

    private static void Entry(ZipWriter zip, string name, byte[] data)
    {
        zip.Begin(name, data.Length);
        zip.Write(data);
        zip.End();
    }
}
