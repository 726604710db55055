#pragma once

#include <QString>

#include <string>

class QWidget;

namespace lg {

struct KubeContext;

/** "what — hint" of a ConnectorError or StoreError, as the user reads it. */
template <class Error> QString errorText(const Error& e)
{
    return QString::fromStdString(std::string(e.what()) + " — " + e.hint());
}

/**
 * A kubeconfig exec plugin is a program of the user's: say what will run, for what, and run it only when
 * the user agrees. True when the context has no plugin or the user said yes.
 */
bool confirmCredentialPlugin(QWidget* parent, const KubeContext& context, const QString& forWhat);
/** Asks before a source runs a command (SourceKind::runsCommand says which); true when there is none. */
bool confirmCommand(QWidget* parent, const QString& command, const QString& forWhat);

} // namespace lg
