using System.Text.Json;
using SidecarInjector.KubernetesGo;

namespace SidecarInjector.Decode;

/// <summary>
/// The JSON types of the core/v1 Pod fields that injection reads, copies or writes beside
/// (k8s.io/api core/v1 types.go): one table that both pod readers are checked against. A field not
/// listed is not checked; a null value counts as absent, as it does for the apiserver.
/// </summary>
internal static class PodFieldTypes
{
    /// <summary>A field of the wrong type; the path is built as the violation unwinds, so a good pod builds none.</summary>
    internal sealed class Violation(string expected, JsonElement value) : Exception(expected)
    {
        public string Expected { get; } = expected;

        public JsonElement Value { get; } = value;

        public string Path { get; private set; } = "";

        public Violation Under(string segment)
        {
            Path = Path.Length == 0 || Path[0] == '[' ? segment + Path : segment + "." + Path;
            return this;
        }
    }

    /// <summary>One JSON type rule, checked on a parsed value (naming what is wrong) or on a reader (only whether anything is).</summary>
    internal abstract class Shape
    {
        public abstract void Check(JsonElement value);

        /// <summary>
        /// True when the value the reader is on fits, leaving the reader on its last token. The hot
        /// path's check: no document, no string per field name; a pod that does not fit is then
        /// checked with <see cref="Check"/> for the message.
        /// </summary>
        public abstract bool Fits(ref Utf8JsonReader reader);

        /// <summary>
        /// For a reader that walks a mapping itself (the fresh path's projection): the shape of the field
        /// whose name the reader is on, null when the field is not checked (or this is not a mapping).
        /// </summary>
        public virtual Shape? FieldOf(ref Utf8JsonReader reader) => null;

        /// <summary>For a reader that walks a list itself: the shape of its items (null when this is not a list).</summary>
        public virtual Shape? Items => null;
    }

    /// <summary>What a scalar must be beyond its JSON type.</summary>
    private enum ScalarRule
    {
        None,
        Int64,
        Quantity,
    }

    private sealed class Scalar(JsonValueKind kind, string expected, ScalarRule rule = ScalarRule.None) : Shape
    {
        public override void Check(JsonElement value)
        {
            if (value.ValueKind != JsonValueKind.Null && !Accepts(value))
            {
                throw new Violation(expected, value);
            }
        }

        public bool Accepts(JsonElement value)
        {
            bool ok = kind == JsonValueKind.True
                ? value.ValueKind is JsonValueKind.True or JsonValueKind.False
                : value.ValueKind == kind;
            return ok && rule switch
            {
                ScalarRule.Int64 => value.TryGetInt64(out _),
                ScalarRule.Quantity => Quantity.IsValid(value.GetString()!),
                _ => true,
            };
        }

        public override bool Fits(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null || Accepts(ref reader);

        public bool Accepts(ref Utf8JsonReader reader)
        {
            bool ok = kind switch
            {
                JsonValueKind.True => reader.TokenType is JsonTokenType.True or JsonTokenType.False,
                JsonValueKind.String => reader.TokenType == JsonTokenType.String,
                JsonValueKind.Number => reader.TokenType == JsonTokenType.Number,
                _ => false,
            };
            return ok && rule switch
            {
                ScalarRule.Int64 => reader.TryGetInt64(out _),
                ScalarRule.Quantity => Quantity.IsValid(reader.GetString()!),
                _ => true,
            };
        }
    }

    /// <summary>A scalar of one of several forms (an int-or-string port); no exception unless none fits.</summary>
    private sealed class AnyOf(string expected, params Scalar[] forms) : Shape
    {
        public override void Check(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return;
            }
            foreach (var form in forms)
            {
                if (form.Accepts(value))
                {
                    return;
                }
            }
            throw new Violation(expected, value);
        }

        public override bool Fits(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return true;
            }
            foreach (var form in forms)
            {
                if (form.Accepts(ref reader))
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>
    /// A mapping whose named fields have their own shapes, and whose other fields have
    /// <paramref name="others"/>' shape when given (labels, resource requests) or are not checked.
    /// </summary>
    private sealed class Mapping((string Field, Shape Shape)[] fields, Shape? others = null, bool quoteKeys = false) : Shape
    {
        private readonly Dictionary<string, Shape> _fields = fields.ToDictionary(f => f.Field, f => f.Shape, StringComparer.Ordinal);

        /// <summary>The named fields' names in UTF-8, for the reader: compared as bytes, no string made.</summary>
        private readonly (byte[] Name, Shape Shape)[] _utf8Fields = [.. fields.Select(f => (System.Text.Encoding.UTF8.GetBytes(f.Field), f.Shape))];

        /// <summary>The shape of the field whose name the reader is on, or null when it is not one of the named fields.</summary>
        private Shape? Named(ref Utf8JsonReader reader)
        {
            if (reader.ValueIsEscaped || reader.HasValueSequence)
            {
                return _fields.TryGetValue(reader.GetString()!, out var named) ? named : null;
            }
            var name = reader.ValueSpan;
            foreach (var (field, shape) in _utf8Fields)
            {
                if (name.SequenceEqual(field))
                {
                    return shape;
                }
            }
            return null;
        }

        public Mapping(params (string Field, Shape Shape)[] fields)
            : this(fields, null)
        {
        }

        public override void Check(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return;
            }
            if (value.ValueKind != JsonValueKind.Object)
            {
                throw new Violation("a mapping", value);
            }
            foreach (var property in value.EnumerateObject())
            {
                if ((_fields.TryGetValue(property.Name, out var shape) ? shape : others) is not { } fieldShape)
                {
                    continue;
                }
                try
                {
                    fieldShape.Check(property.Value);
                }
                catch (Violation violation)
                {
                    throw violation.Under(quoteKeys ? $"[\"{property.Name}\"]" : property.Name);
                }
            }
        }

        public override Shape? FieldOf(ref Utf8JsonReader reader) => _fields.Count > 0 ? Named(ref reader) ?? others : others;

        public override bool Fits(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return true;
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var shape = FieldOf(ref reader);
                reader.Read();
                if (shape is null)
                {
                    reader.Skip();
                }
                else if (!shape.Fits(ref reader))
                {
                    return false;
                }
            }
            return true;
        }
    }

    /// <summary>A map whose every value has one shape.</summary>
    private static Mapping MapOf(Shape values, bool quoteKeys = false) => new([], values, quoteKeys);

    private sealed class ListOf(Shape items) : Shape
    {
        public override Shape? Items => items;

        public override void Check(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                return;
            }
            if (value.ValueKind != JsonValueKind.Array)
            {
                throw new Violation("a list", value);
            }
            int index = 0;
            foreach (var item in value.EnumerateArray())
            {
                try
                {
                    items.Check(item);
                }
                catch (Violation violation)
                {
                    throw violation.Under($"[{index}]");
                }
                index++;
            }
        }

        public override bool Fits(ref Utf8JsonReader reader)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return true;
            }
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (!items.Fits(ref reader))
                {
                    return false;
                }
            }
            return true;
        }
    }

    private static readonly Scalar String = new(JsonValueKind.String, "a string");
    private static readonly Scalar Boolean = new(JsonValueKind.True, "a boolean");
    private static readonly Scalar Integer = new(JsonValueKind.Number, "an integer", ScalarRule.Int64);
    private static readonly Shape IntOrString = new AnyOf("an integer or a name", Integer, String);
    private static readonly Shape Strings = new ListOf(String);
    private static readonly Shape AnyMapping = new Mapping();
    private static readonly Shape Mappings = new ListOf(AnyMapping);

    /// <summary>A resource quantity: "500m", "1Gi", "2", or a plain number, as resource.Quantity reads them.</summary>
    private static readonly Shape QuantityValue = new AnyOf("a quantity such as 500m or 1Gi",
        new Scalar(JsonValueKind.String, "a quantity", ScalarRule.Quantity),
        new Scalar(JsonValueKind.Number, "a quantity"));

    private static readonly Shape HttpGet = new Mapping(
        ("port", IntOrString), ("path", String), ("host", String), ("scheme", String),
        ("httpHeaders", new ListOf(new Mapping(("name", String), ("value", String)))));

    private static readonly Shape TcpSocket = new Mapping(("port", IntOrString), ("host", String));

    private static readonly Shape Exec = new Mapping(("command", Strings));

    private static readonly Shape Probe = new Mapping(
        ("httpGet", HttpGet), ("tcpSocket", TcpSocket), ("exec", Exec),
        ("grpc", new Mapping(("port", Integer), ("service", String))),
        ("initialDelaySeconds", Integer), ("periodSeconds", Integer), ("timeoutSeconds", Integer),
        ("successThreshold", Integer), ("failureThreshold", Integer), ("terminationGracePeriodSeconds", Integer));

    private static readonly Shape LifecycleHandler = new Mapping(
        ("httpGet", HttpGet), ("tcpSocket", TcpSocket), ("exec", Exec), ("sleep", new Mapping(("seconds", Integer))));

    private static readonly Shape Container = new Mapping(
        ("name", String), ("image", String), ("imagePullPolicy", String), ("workingDir", String), ("restartPolicy", String),
        ("terminationMessagePath", String), ("terminationMessagePolicy", String), ("stdin", Boolean), ("tty", Boolean),
        ("command", Strings), ("args", Strings),
        ("ports", new ListOf(new Mapping(
            ("containerPort", Integer), ("hostPort", Integer), ("name", String), ("protocol", String), ("hostIP", String)))),
        ("env", new ListOf(new Mapping(("name", String), ("value", String), ("valueFrom", AnyMapping)))),
        ("envFrom", Mappings),
        ("volumeMounts", new ListOf(new Mapping(
            ("name", String), ("mountPath", String), ("subPath", String), ("readOnly", Boolean), ("mountPropagation", String)))),
        ("volumeDevices", Mappings),
        ("resizePolicy", Mappings),
        ("resources", new Mapping(
            ("requests", MapOf(QuantityValue)), ("limits", MapOf(QuantityValue)), ("claims", Mappings))),
        ("readinessProbe", Probe), ("livenessProbe", Probe), ("startupProbe", Probe),
        ("lifecycle", new Mapping(("postStart", LifecycleHandler), ("preStop", LifecycleHandler))),
        ("securityContext", new Mapping(
            ("runAsUser", Integer), ("runAsGroup", Integer), ("runAsNonRoot", Boolean), ("privileged", Boolean),
            ("readOnlyRootFilesystem", Boolean), ("allowPrivilegeEscalation", Boolean),
            ("capabilities", new Mapping(("add", Strings), ("drop", Strings))))));

    private static readonly Shape Containers = new ListOf(Container);

    private static readonly Shape StringMap = MapOf(String, quoteKeys: true);

    /// <summary>The whole rule set, from the pod down.</summary>
    public static readonly Shape Pod = new Mapping(
        ("metadata", new Mapping(
            ("labels", StringMap), ("annotations", StringMap),
            ("name", String), ("generateName", String), ("namespace", String))),
        ("spec", new Mapping(
            ("hostNetwork", Boolean), ("hostPID", Boolean), ("hostIPC", Boolean), ("shareProcessNamespace", Boolean),
            ("automountServiceAccountToken", Boolean), ("enableServiceLinks", Boolean),
            ("terminationGracePeriodSeconds", Integer), ("activeDeadlineSeconds", Integer),
            ("serviceAccountName", String), ("serviceAccount", String), ("nodeName", String), ("restartPolicy", String),
            ("dnsPolicy", String), ("priorityClassName", String), ("hostname", String), ("subdomain", String),
            ("securityContext", new Mapping(
                ("runAsUser", Integer), ("runAsGroup", Integer), ("fsGroup", Integer), ("runAsNonRoot", Boolean))),
            ("volumes", new ListOf(new Mapping(("name", String)))),
            ("imagePullSecrets", new ListOf(new Mapping(("name", String)))),
            ("tolerations", Mappings),
            ("hostAliases", Mappings),
            ("containers", Containers), ("initContainers", Containers), ("ephemeralContainers", Containers))));
}
