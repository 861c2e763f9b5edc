using System.Text;
using System.Text.Json.Nodes;
using SidecarInjector.Answer;
using SidecarInjector.Decode;
using SidecarInjector.Errors;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Answer;

/// <summary>
/// The memo's key read on the review's own pass (<see cref="WorkloadKey"/> as the review reader's
/// <see cref="IObjectReader"/>) is the key of the pod read alone: the same digest, the same left-out values,
/// the same facts' layout, and the same perturbed sibling, wherever the object sits in the review.
/// </summary>
public sealed class ReviewPassKeyTests
{
    [Fact]
    public void The_key_read_with_the_review_is_the_key_of_the_pod_alone()
    {
        var masks = SiblingMasks.For(InProcess.DefaultConfig);
        var generator = new RandomWorkloads(5);
        var random = new Random(5);
        using var alone = new WorkloadKey();
        using var onPass = new WorkloadKey();
        for (int i = 0; i < 400; i++)
        {
            var pod = generator.Pod(generator.Next(), i % 4);
            ProjectionShapes.AddSome(pod, random);
            var review = JsonNode.Parse(Reviews.Review(pod))!.AsObject();
            if (i % 2 == 1)
            {
                // The object first in the request, before its uid and kind.
                var request = review["request"]!.AsObject();
                var fields = request.ToList();
                request.Clear();
                request["object"] = fields.First(f => f.Key == "object").Value;
                foreach (var (name, value) in fields.Where(f => f.Key != "object"))
                {
                    request[name] = value;
                }
            }
            var body = Encoding.UTF8.GetBytes(review.ToJsonString());

            onPass.Begin(masks);
            var read = AdmissionReviewReader.Read(body, onPass);
            var podBytes = body.AsSpan(read.ObjectStart, read.ObjectLength);
            Assert.True(onPass.Finish(podBytes));
            Assert.True(alone.Build(podBytes, masks));

            Assert.Equal(alone.Digest.ToArray(), onPass.Digest.ToArray());
            Assert.Equal(alone.MaskedCount, onPass.MaskedCount);
            Assert.Equal(alone.Layout, onPass.Layout);
            Assert.True(alone.Layout.Known);
            Assert.Equal(alone.PodName, onPass.PodName);
            Assert.Equal(alone.Perturbed(podBytes), onPass.Perturbed(podBytes));
        }
    }

    [Fact]
    public void A_review_without_an_object_gives_no_key()
    {
        using var key = new WorkloadKey();
        key.Begin(SiblingMasks.None);
        var body = Encoding.UTF8.GetBytes("""{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u","object":null}}""");
        var read = AdmissionReviewReader.Read(body, key);
        Assert.Equal(0, read.ObjectLength);
        Assert.False(key.Finish(default));
    }

    [Fact]
    public void A_pod_that_is_not_JSON_is_the_bodys_error()
    {
        using var key = new WorkloadKey();
        key.Begin(SiblingMasks.None);
        var body = Encoding.UTF8.GetBytes("""{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u","object":{"metadata":{"name":}}}}""");
        var error = Assert.Throws<AdmissionDecodeException>(() => AdmissionReviewReader.Read(body, key));
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }
}
