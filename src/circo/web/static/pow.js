// Proof of work of the public forms (circo.reach.pow): find a counter such that
// sha256("<challenge>:<counter>") starts with `bits` zero bits, put it in the "pow" field.
// Without this script (or without WebCrypto) the page shows a small question instead.
(function () {
  var form = document.querySelector("form[data-pow-challenge]");
  if (!form || !window.crypto || !window.crypto.subtle) { return; }
  var challenge = form.getAttribute("data-pow-challenge");
  var bits = parseInt(form.getAttribute("data-pow-bits"), 10);
  var field = form.querySelector("input[name=pow]");
  var status = document.getElementById("pow-status");
  var question = document.getElementById("pow-question");
  var encoder = new TextEncoder();
  var done = false, waiting = false;
  if (question) { question.hidden = true; }
  function zeroBits(bytes) {
    var count = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { count += 8; continue; }
      return count + Math.clz32(bytes[i]) - 24;
    }
    return count;
  }
  async function search() {
    for (var counter = 0; ; counter++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + counter));
      if (zeroBits(new Uint8Array(digest)) >= bits) { return counter; }
    }
  }
  if (status) { status.textContent = status.getAttribute("data-working"); }
  search().then(function (counter) {
    field.value = String(counter);
    done = true;
    if (status) { status.textContent = status.getAttribute("data-done"); }
    if (waiting) { form.submit(); }
  });
  form.addEventListener("submit", function (event) {
    if (!done) { event.preventDefault(); waiting = true; }
  });
})();
