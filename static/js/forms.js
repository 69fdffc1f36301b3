// What every form of the app does in the browser, without htmx and without inline script (the
// CSP refuses it). Without this file the forms still work: they submit unasked, and the server
// still checks everything.

// Confirm before an action that cannot be undone: a form, or the button that submits it,
// carrying data-confirm="question" asks with the browser's own dialog, and submits only on yes.
document.addEventListener("submit", (event) => {
  const asking = event.submitter?.dataset.confirm ?? event.target.dataset.confirm;
  if (asking && !window.confirm(asking)) {
    event.preventDefault();
  }
});

// A page that comes back with errors puts the cursor in the first field in error, scrolled
// into view, rather than leaving the person at the top of a long form on a phone; a refusal
// of the whole form (role="alert" with autofocus) is shown first instead.
document.addEventListener("DOMContentLoaded", () => {
  if (document.querySelector("[autofocus]")) {
    return;
  }
  const first = document.querySelector("[aria-invalid='true']");
  if (first) {
    first.focus({ preventScroll: true });
    first.scrollIntoView({ block: "center" });
  }
});

// A signed-in page warns two minutes before its session would lapse for being idle, so that
// what is being typed is not lost to a login page; 继续使用 renews the session and stays.
document.addEventListener("DOMContentLoaded", () => {
  const idle = Number(document.body.dataset.idleMinutes || 0);
  if (!idle) {
    return;
  }
  const warnAfter = Math.max(idle - 2, idle / 2) * 60 * 1000;
  let timer;
  const warn = () => {
    const banner = document.createElement("div");
    banner.className = "flash flash-warning idle-warning";
    banner.setAttribute("role", "alert");
    banner.dataset.testid = "idle-warning";
    const text = document.createElement("span");
    text.textContent = `您已 ${Math.round(warnAfter / 60000)} 分钟没有操作，即将退出登录。填写的内容请先保存。 `;
    const stay = document.createElement("button");
    stay.type = "button";
    stay.textContent = "继续使用";
    stay.addEventListener("click", async () => {
      const answer = await fetch("/account/keepalive", { credentials: "same-origin" });
      if (answer.ok) {
        banner.remove();
        arm();
      } else {
        text.textContent = "登录已失效，请复制填写的内容后重新登录。";
      }
    });
    banner.append(text, stay);
    document.querySelector("main")?.prepend(banner);
    stay.focus();
  };
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(warn, warnAfter);
  };
  arm();
});

