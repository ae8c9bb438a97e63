// The crate page's − / + buttons beside the count of a full crate (never below 1).
document.querySelectorAll(".cp-stepper [data-step]").forEach(function (b) {
  b.addEventListener("click", function () {
    var input = document.getElementById("count");
    var v = parseInt(input.value || "0", 10) + parseInt(b.getAttribute("data-step"), 10);
    input.value = Math.max(1, v);
  });
});
