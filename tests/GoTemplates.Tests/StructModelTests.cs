using System.Text.Json.Nodes;

namespace GoTemplates.Tests;

/// <summary>
/// The engine knows no caller's structs: what a struct field is (a string map, a typed struct) and the
/// order Go writes its fields in come from the caller's <see cref="IStructModel"/>.
/// </summary>
public sealed class StructModelTests
{
    /// <summary>A small Go program: type Pet struct { Name string; Tags map[string]string; Owner Person }.</summary>
    private sealed class PetModel : IStructModel
    {
        public bool IsStringMapField(string field) => field == "tags";

        public string? FieldType(string? structType, string field) => (structType, field) switch
        {
            ("Pet", "owner") => "Person",
            _ => null,
        };

        public JsonNode? InFieldOrder(JsonNode? value, string structType)
        {
            if (value is not JsonObject o)
            {
                return value;
            }
            string[] order = structType == "Pet" ? ["name", "tags", "owner"] : ["first", "last"];
            var ordered = new JsonObject();
            foreach (var field in order)
            {
                if (o[field] is { } v)
                {
                    ordered[field] = v.DeepClone();
                }
            }
            return ordered;
        }
    }

    private static readonly FunctionTable Functions = Builtins.AddTo(new FunctionTable());

    private static string Run(string template, object? data) => GoTemplate.Parse("t", template, Functions).Execute(data);

    private static object? Pet() => GoValues.FromStructJson(
        JsonNode.Parse("""{"owner":{"last":"Lee","first":"Ann"},"tags":{"kind":"cat"},"name":"Tom"}"""), new PetModel(), "Pet");

    [Fact]
    public void Struct_fields_are_read_by_their_go_names()
    {
        Assert.Equal("Tom Ann", Run("{{.Name}} {{.Owner.First}}", Pet()));
    }

    [Fact]
    public void A_missing_key_of_a_string_map_is_empty_and_of_a_free_map_is_no_value()
    {
        Assert.Equal("[]", Run("[{{index .Tags \"color\"}}]", Pet()));
        Assert.Equal("[<no value>]", Run("[{{.free.color}}]", GoValues.FromJson(JsonNode.Parse("""{"free":{}}"""))));
    }

    [Fact]
    public void A_missing_struct_field_is_its_zero_value()
    {
        Assert.Equal("[]", Run("[{{.Owner.Middle}}]", Pet()));
    }

    [Fact]
    public void Structs_are_written_back_in_the_models_field_order()
    {
        var json = GoValues.ToJson(Pet())!.ToJsonString();
        Assert.Equal("""{"name":"Tom","tags":{"kind":"cat"},"owner":{"first":"Ann","last":"Lee"}}""", json);
    }

    [Fact]
    public void Without_a_model_free_form_data_keeps_sorted_map_order()
    {
        var json = GoValues.ToJson(GoValues.FromJson(JsonNode.Parse("""{"b":1,"a":2}""")))!.ToJsonString();
        Assert.Equal("""{"a":2,"b":1}""", json);
    }
}
