// Click to load (newsgen embeds): each placeholder is a link to the original, sized like the frame it
// stands for. Pressed, it becomes the provider's iframe, sandboxed as the page says; until then the
// page asks nothing of the provider. A click meant for a new tab or window still follows the link.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-embed]");
  if (!link || event.button || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  var frame = document.createElement("iframe");
  frame.className = link.className;
  frame.title = link.dataset.title;
  frame.setAttribute("sandbox", link.dataset.sandbox);
  if (link.dataset.allow) frame.setAttribute("allow", link.dataset.allow);
  frame.referrerPolicy = "strict-origin-when-cross-origin"; // YouTube plays only for a page that names its origin
  frame.loading = "lazy";
  frame.src = link.dataset.embed;
  link.replaceWith(frame);
  frame.focus();
});
