#include "widgets/findingdetail.h"

#include "core/jsonutil.h"
#include "widgets/findingsmodel.h"
#include "widgets/theme.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QStringList>
#include <QUrl>

namespace lg {

namespace {

QString esc(const std::string& s)
{
    return QString::fromStdString(s).toHtmlEscaped();
}

/**
 * A link for a peer reference where the peer publishes one, or for a reference that is itself a web
 * address. References come from imported reports too: the id is percent-encoded into the URL, the text
 * escaped, and anything that is not a plain id or an http(s) address stays text.
 */
QString referenceLink(const std::string& ref)
{
    const QString r = QString::fromStdString(ref);
    static const QRegularExpression plainId(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$"));
    QUrl url;
    if (plainId.match(r).hasMatch()) {
        const QString id = QString::fromLatin1(QUrl::toPercentEncoding(r.toLower().remove(QLatin1Char('-'))));
        if (r.startsWith(QLatin1String("KSV-")) || r.startsWith(QLatin1String("KCV-")))
            url = QUrl(QStringLiteral("https://avd.aquasec.com/misconfig/") + id);
        else if (r.startsWith(QLatin1String("C-0")))
            url = QUrl(QStringLiteral("https://hub.armosec.io/docs/")
                + QString::fromLatin1(QUrl::toPercentEncoding(r.toLower())));
        else if (r.startsWith(QLatin1String("CVE-")))
            url = QUrl(
                QStringLiteral("https://www.cve.org/CVERecord?id=") + QString::fromLatin1(QUrl::toPercentEncoding(r)));
        else if (r.startsWith(QLatin1String("PSS-")))
            url = QUrl(QStringLiteral("https://kubernetes.io/docs/concepts/security/pod-security-standards/"));
    } else {
        url = QUrl(r, QUrl::TolerantMode); // quotes and the like are percent-encoded; the scheme decides below
    }
    if (!FindingDetail::isWebLink(url))
        return r.toHtmlEscaped();
    return QStringLiteral("<a href=\"%1\">%2</a>")
        .arg(QString::fromLatin1(url.toEncoded()).toHtmlEscaped(), r.toHtmlEscaped());
}

/** Severity and title, the message, and where: resource, target, rule and the finding's id. */
QString headline(const Finding& f)
{
    QString html = QStringLiteral("<h3 style='margin:0'><span style='color:%1'>●</span> %2 — %3</h3>")
                       .arg(theme::severityColor(f.severity).name(), theme::severityTitle(f.severity), esc(f.title));
    html += QStringLiteral("<p>%1</p>").arg(esc(f.message));
    html += QStringLiteral("<p><b>Resource</b> %1 &nbsp; <b>Target</b> %2 &nbsp; <b>Rule</b> %3<br><b>Finding id</b> "
                           "<code>%4</code></p>")
                .arg(FindingsModel::resourceText(f).toHtmlEscaped(), esc(f.subject.target), esc(f.rule), esc(f.id));
    return html;
}

/** The values the rule judged, and the file or report the finding came from. */
QString evidence(const Finding& f)
{
    QString html;
    if (!f.evidence.empty()) {
        html += QStringLiteral("<p><b>Evidence</b></p><table cellspacing='0' cellpadding='2'>");
        for (const auto& e : f.evidence)
            html += QStringLiteral("<tr><td><code>%1</code></td><td>= <code>%2</code></td></tr>")
                        .arg(esc(e.path), esc(e.value.is_null() ? std::string("(not set)") : dumpJson(e.value)));
        html += QStringLiteral("</table>");
    }
    if (!f.origin.empty())
        html += QStringLiteral("<p><b>Source</b> <code>%1</code></p>").arg(esc(f.origin));
    return html;
}

/** When the finding was first seen, its age, and for an open one its deadline or since when it is overdue. */
QString firstSeen(const Finding& f, int slaDays, std::int64_t now)
{
    if (f.firstSeen <= 0)
        return {};
    QString due;
    if (slaDays > 0 && f.status == FindingStatus::Open) {
        const std::int64_t deadline = f.firstSeen + std::int64_t(slaDays) * 86400;
        const QString date = QDateTime::fromSecsSinceEpoch(deadline).date().toString(Qt::ISODate);
        due = deadline < now ? QStringLiteral(" &nbsp; <b style='color:%1'>%2</b>")
                                   .arg(theme::severityColor(Severity::Critical).name(),
                                       FindingDetail::tr("Overdue since %1 (%2 days for %3 findings)")
                                           .arg(date)
                                           .arg(slaDays)
                                           .arg(theme::severityTitle(f.severity).toLower()))
                             : FindingDetail::tr(" &nbsp; <b>Due</b> %1").arg(date);
    }
    return QStringLiteral("<p><b>%1</b> %2 (%3)%4</p>")
        .arg(FindingDetail::tr("First seen"),
            QDateTime::fromSecsSinceEpoch(f.firstSeen).toString(QStringLiteral("yyyy-MM-dd HH:mm")),
            FindingsModel::ageText(f.firstSeen, now), due);
}

QString references(const Finding& f)
{
    QStringList refs;
    for (const auto& r : f.references)
        refs << referenceLink(r);
    return QStringLiteral("<p><b>References</b> %1</p>").arg(refs.join(QStringLiteral(" · ")));
}

QString exemption(const Finding& f)
{
    if (f.status != FindingStatus::Exempted)
        return {};
    return QStringLiteral("<p style='color:#666666'><b>%1</b> by %2: %3</p>")
        .arg(FindingDetail::tr("Exempted"), esc(f.exemption.by), esc(f.exemption.reason));
}

/** The acceptance in force (grey), or the last one that ended, expired or revoked (red). */
QString acceptanceLine(const AcceptedRisk& risk, std::int64_t now)
{
    const bool active = risk.activeAt(now);
    const QString until = risk.expiresAt
        ? FindingDetail::tr(" (until %1)")
              .arg(QDateTime::fromSecsSinceEpoch(*risk.expiresAt).date().toString(Qt::ISODate))
        : QString();
    const QString ended = risk.revokedAt ? FindingDetail::tr("Risk acceptance revoked")
        : active                         ? FindingDetail::tr("Risk accepted")
                                         : FindingDetail::tr("Risk acceptance expired");
    return QStringLiteral("<p style='color:%1'><b>%2</b>: owner %3, %4%5; recorded by %6 on %7</p>")
        .arg(active ? QStringLiteral("#666666") : QStringLiteral("#B01E2D"), ended, esc(risk.owner), esc(risk.reason),
            until, esc(risk.acceptedBy.empty() ? std::string("?") : risk.acceptedBy),
            QDateTime::fromSecsSinceEpoch(risk.createdAt).date().toString(Qt::ISODate));
}

} // namespace

bool FindingDetail::isWebLink(const QUrl& url)
{
    return url.isValid() && (url.scheme() == QLatin1String("https") || url.scheme() == QLatin1String("http"))
        && !url.host().isEmpty();
}

QString FindingDetail::html(
    const Finding& f, int slaDays, const std::optional<AcceptedRisk>& acceptance, std::int64_t now)
{
    QString html = headline(f) + evidence(f) + firstSeen(f, slaDays, now) + references(f) + exemption(f);
    if (acceptance)
        html += acceptanceLine(*acceptance, now);
    return html;
}

} // namespace lg
